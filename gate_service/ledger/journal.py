"""The ledger's append-only journal: every entry is on disk before its answer is sent.

Why: the database write happens later, in batches, behind the request path; until then an
entry used to live only in memory, so a SIGKILL lost what was queued and a slow database
made the queue overflow. Now ``record`` appends the entry's line (:mod:`.codec`) to the
journal with one ``os.write`` on an ``O_APPEND`` descriptor (~5 µs): once that returns the
line is in the kernel's page cache and survives the death of the process. A thread
``fdatasync``\\s the file every ``fsync_interval_s`` (1 s by default), which is the most a
power loss can take. The database writer reads the lines back when they are no longer in
its memory (and after a crash) and deletes a segment once everything in it is committed.

Layout: ``<root>/<slot>/`` per running process: ``lock`` (held with ``flock`` for the
process's lifetime, released by the kernel however the process ends), ``journal.id`` (a
random id: the database keeps, per journal, the last sequence number it committed, under
``ledger_journal:<id>``), and segments ``<first seq, 20 digits>.seg``. A process takes the
first slot nobody holds, so replicas sharing a data directory each get their own journal,
and a restarted process finds the journal its predecessor left. A slot that is free but
not empty (a replica that crashed and did not come back) is *adopted*: read to the end and
emptied by whichever process finds it.

Sequence numbers grow by one per entry for the life of a journal. A new journal id is drawn
when a slot has no segment at all, so numbers restarting at 1 can never be mistaken for
numbers the database has already committed.

A line torn by a crash mid-write is cut off at the next start (it was never acknowledged);
one damaged later fails its checksum and is skipped, counted and logged.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gate_service.ledger.codec import CorruptLine, check, decode, encode
from gate_service.ledger.record import RequestRecord

log = logging.getLogger("spidergate.ledger")

SEGMENT_SUFFIX = ".seg"
ID_FILE = "journal.id"
LOCK_FILE = "lock"
DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024
_READ_CHUNK = 1024 * 1024


def _segment_name(first_seq: int) -> str:
    return f"{first_seq:020d}{SEGMENT_SUFFIX}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(slots=True)
class ReadResult:
    """Entries with sequence numbers in the range asked for, and lines that were unusable."""

    entries: list[tuple[int, RequestRecord]] = field(default_factory=list)
    corrupt: int = 0


@dataclass(slots=True)
class _Cursor:
    """Where the last read stopped, so reading on costs only the new lines."""

    segment: int = -1
    offset: int = 0
    last_seq: int = -1


class Journal:
    """One slot's journal; see the module docstring. ``append`` is called on the event loop,
    ``read`` and ``release`` on the writer's thread, ``sync`` on the fsync thread."""

    def __init__(
        self,
        directory: Path,
        lock_fd: int,
        *,
        writable: bool,
        fsync_interval_s: float,
        segment_bytes: int,
    ) -> None:
        self.directory = directory
        self._lock_fd = lock_fd
        self._writable = writable
        self._fsync_interval_s = fsync_interval_s
        self._segment_bytes = segment_bytes
        self._guard = threading.Lock()  # the segment list, the retired descriptors
        self._segments = self._scan_names()
        self.id = self._load_id()
        self.last_seq = self._last_seq_on_disk()
        self._fd = -1
        self._size = 0
        self._retired: list[int] = []
        self._dirty = False
        self._dir_dirty = False
        self._broken = False
        self._closed = False
        self._cursor = _Cursor()
        self._stop = threading.Event()
        self._syncer: threading.Thread | None = None
        if writable:
            self._open_active(self.last_seq + 1)
            if fsync_interval_s > 0:
                self._syncer = threading.Thread(
                    target=self._sync_loop, name="ledger-fsync", daemon=True
                )
                self._syncer.start()

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        root: Path,
        *,
        fsync_interval_s: float = 1.0,
        segment_bytes: int = DEFAULT_SEGMENT_BYTES,
    ) -> Journal:
        """Claim the first free slot under ``root`` (creating it) and open it for appending."""
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for slot in itertools.count():
            claimed = cls._claim(root / str(slot))
            if claimed is not None:
                directory, lock_fd = claimed
                return cls(
                    directory,
                    lock_fd,
                    writable=True,
                    fsync_interval_s=fsync_interval_s,
                    segment_bytes=segment_bytes,
                )
        raise AssertionError("unreachable")  # pragma: no cover

    @classmethod
    def orphans(cls, root: Path, *, exclude: Path) -> list[Journal]:
        """Claim, read-only, the slots nobody holds that still have segments: the journals
        of processes that ended without coming back. The caller closes each."""
        found: list[Journal] = []
        if not root.is_dir():
            return found
        for path in sorted(p for p in root.iterdir() if p.is_dir() and p != exclude):
            if not any(path.glob("*" + SEGMENT_SUFFIX)):
                continue
            claimed = cls._claim(path)
            if claimed is not None:
                found.append(
                    cls(claimed[0], claimed[1], writable=False, fsync_interval_s=0, segment_bytes=0)
                )
        return found

    @staticmethod
    def _claim(directory: Path) -> tuple[Path, int] | None:
        directory.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return directory, fd

    def _scan_names(self) -> list[int]:
        firsts = []
        for path in self.directory.glob("*" + SEGMENT_SUFFIX):
            with contextlib.suppress(ValueError):
                firsts.append(int(path.name[: -len(SEGMENT_SUFFIX)]))
        return sorted(firsts)

    def _load_id(self) -> str:
        path = self.directory / ID_FILE
        if self._segments:
            with contextlib.suppress(OSError):
                text = path.read_text().strip()
                if text:
                    return text
            log.error("journal %s has segments but no id; replaying it as new", self.directory)
        new_id = secrets.token_hex(16)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, (new_id + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_dir(self.directory)
        return new_id

    def _last_seq_on_disk(self) -> int:
        """The last sequence number written: that of the newest segment's last intact line,
        or the one before the segment's first when it holds none (its name keeps the
        numbering); 0 for a journal without segments. A torn tail (the process died in
        the middle of a line, which was therefore never acknowledged) is cut off, so that
        appending to the segment cannot glue a new line to it."""
        if not self._segments:
            return 0
        newest = self._segments[-1]
        last, end = newest - 1, 0
        for seq, line in self._lines(newest):
            end += len(line)
            if seq > last:
                last = seq
        path = self.directory / _segment_name(newest)
        if self._writable and path.stat().st_size > end:
            log.warning(
                "cut a torn line off the end of %s (%d bytes)", path, path.stat().st_size - end
            )
            os.truncate(path, end)
        return last

    # ------------------------------------------------------------------ appending

    @property
    def key(self) -> str:
        """The ``meta`` key under which the database keeps this journal's watermark."""
        return f"ledger_journal:{self.id}"

    def append(self, entry: RequestRecord) -> int | None:
        """Write one entry; its sequence number, or None when it could not be written (the
        number is used up all the same, so the sequence has a gap the reader skips)."""
        seq = self.last_seq + 1
        self.last_seq = seq
        line = encode(seq, entry)
        if self._broken or (self._size and self._size + len(line) > self._segment_bytes):
            self._rotate(seq)
        try:
            written = os.write(self._fd, line)
        except OSError as exc:
            self._broken = True
            log.error("could not append to the ledger journal: %s", exc)
            return None
        self._size += written
        self._dirty = True
        if written != len(line):
            # A torn line in the middle of a segment would take its successor with it:
            # leave it as that segment's tail and go on in a new one.
            self._broken = True
            log.error("short write to the ledger journal (%d of %d bytes)", written, len(line))
            return None
        return seq

    def _open_active(self, first_seq: int) -> None:
        """Open a new active segment starting at ``first_seq`` (reusing an empty newest one)."""
        path = self.directory / _segment_name(first_seq)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        with self._guard:
            if self._fd >= 0:
                self._retired.append(self._fd)
            self._fd = fd
            if not self._segments or self._segments[-1] != first_seq:
                self._segments.append(first_seq)
            self._dir_dirty = True
        self._size = os.fstat(fd).st_size
        self._broken = False

    def _rotate(self, first_seq: int) -> None:
        try:
            self._open_active(first_seq)
        except OSError as exc:
            log.error("could not start a new ledger journal segment: %s", exc)

    # ------------------------------------------------------------------ durability

    def sync(self) -> None:
        """fsync what was appended since the last call, and segments retired since."""
        with self._guard:
            fd, retired, self._retired = self._fd, self._retired, []
            dir_dirty, self._dir_dirty = self._dir_dirty, False
        for old in retired:
            with contextlib.suppress(OSError):
                os.fsync(old)
            os.close(old)
        if self._dirty and fd >= 0:
            self._dirty = False
            try:
                os.fdatasync(fd)
            except OSError as exc:
                log.error("could not fsync the ledger journal: %s", exc)
        if dir_dirty:
            with contextlib.suppress(OSError):
                _fsync_dir(self.directory)

    def _sync_loop(self) -> None:
        while not self._stop.wait(self._fsync_interval_s):
            self.sync()

    # ------------------------------------------------------------------ reading back

    def _lines(self, first: int, offset: int = 0) -> Iterator[tuple[int, bytes]]:
        """``(seq, line)`` of each complete line of a segment from ``offset``, stopping at a
        torn tail; seq is -1 for a line that fails its checksum."""
        path = self.directory / _segment_name(first)
        try:
            f = path.open("rb")
        except FileNotFoundError:
            return
        with f:
            f.seek(offset)
            for line in f:
                if not line.endswith(b"\n"):
                    return
                try:
                    yield check(line), line
                except CorruptLine:
                    yield -1, line

    def read(self, lo: int, hi: int) -> ReadResult:
        """The entries numbered ``lo..hi`` that are on disk, in order (a number not found was
        never written). Damaged lines are skipped and counted; sequential reads resume
        where the previous one stopped instead of rescanning the segment."""
        result = ReadResult()
        with self._guard:
            segments = list(self._segments)
        for i, first in enumerate(segments):
            if first > hi:
                break
            if i + 1 < len(segments) and segments[i + 1] <= lo:
                continue
            cursor = self._cursor
            if cursor.segment == first and cursor.last_seq < lo:
                offset, previous = cursor.offset, cursor.last_seq
            else:
                offset, previous = 0, first - 1
            for seq, line in self._lines(first, offset):
                damaged = seq == -1
                if damaged:
                    # Lines run in order: a damaged one is the number after the last good one.
                    seq = previous + 1
                if seq > hi:
                    return result
                if seq >= lo:
                    try:
                        if damaged:
                            raise CorruptLine("checksum mismatch")
                        result.entries.append(decode(line))
                    except CorruptLine as exc:
                        result.corrupt += 1
                        log.error("skipped a damaged ledger journal line (#%d): %s", seq, exc)
                offset += len(line)
                previous = seq
                self._cursor = _Cursor(first, offset, seq)
        return result

    def release(self, upto: int) -> int:
        """Delete the segments whose every entry is numbered ``upto`` or less (never the
        one being appended to); the number deleted."""
        with self._guard:
            segments = list(self._segments)
        ends = [nxt - 1 for nxt in segments[1:]]
        if not self._writable:
            ends.append(self.last_seq)
        done = [first for first, end in zip(segments, ends, strict=False) if end <= upto]
        for first in done:
            with contextlib.suppress(FileNotFoundError):
                (self.directory / _segment_name(first)).unlink()
        if done:
            with self._guard:
                self._segments = [s for s in self._segments if s not in done]
        return len(done)

    def seal(self) -> None:
        """Everything is committed: start an empty segment (it keeps the numbering) so
        that every older one can be released."""
        if self._writable and self._size:
            self._rotate(self.last_seq + 1)

    @property
    def size_bytes(self) -> int:
        """Bytes on disk in this journal's segments."""
        total = 0
        with self._guard:
            segments = list(self._segments)
        for first in segments:
            with contextlib.suppress(FileNotFoundError):
                total += (self.directory / _segment_name(first)).stat().st_size
        return total

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Stop the fsync thread, sync a last time, and let go of the slot."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._syncer is not None:
            self._syncer.join()
        if self._writable:
            self.sync()
            with self._guard:
                fd, self._fd = self._fd, -1
            if fd >= 0:
                os.close(fd)
        os.close(self._lock_fd)

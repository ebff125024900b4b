"""The ledger writer: requests hand over entries, which are journaled at once and written to
the database in batches by one background task.

The path of an entry:

1. ``record`` appends it to the journal (:mod:`.journal`): one ``os.write``, so the entry
   is durable before the request is answered (a SIGKILL loses nothing acknowledged; a
   power loss at most the journal's fsync interval). It also keeps the entry in a bounded
   in-memory queue (``queue_size``) so the writer need not read it back. ``record`` never
   awaits, never touches the database and never raises.
2. The writer task takes a batch of consecutive sequence numbers: up to ``batch_size``, or
   whatever is pending ``flush_interval_s`` after the oldest arrived. It takes them from
   the queue when they are there and reads them back from the journal when they are not
   (the queue was full, or they predate this process: a crash or a database outage), up
   to ``backlog_batch_size`` at a time.
3. The batch, its rollups and the journal's watermark are committed in one transaction on
   the writer's own thread (:class:`~gate_service.ledger.store.LedgerStore`), and journal
   segments left fully committed are deleted.

**When the queue is full** (the database is slower than the traffic, or down) nothing is
dropped: entries stay only on disk until the writer gets to them, and the queue fills
again once the writer has emptied it. Memory is bounded by ``queue_size`` entries plus one
batch (about 1-2 KB an entry); the journal grows on disk for as long as the database lags.

**When the database fails** a batch is retried with exponential backoff
(``retry_initial_s`` doubling up to ``retry_max_s``) for as long as the ledger runs, one
warning per ``warn_interval_s``. A row the database refuses for good (a constraint, a bad
value) is isolated, logged and counted in ``dropped``: the only way an entry is given up.

**At start** the writer reads the journal's watermark and writes everything after it: what
a crashed or stopped predecessor left. Journals of other processes that ended for good
are adopted and emptied the same way (see :mod:`.journal`).

**At shutdown** ``close`` writes everything pending for at most ``close_timeout_s``;
whatever is still unwritten then stays in the journal for the next start. Entries recorded
after ``close`` are counted as dropped.

``record`` must be called on the event loop the writer runs on; the chat service does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from gate_service.ledger.journal import Journal
from gate_service.ledger.reads import ReadGate
from gate_service.ledger.record import RequestRecord
from gate_service.ledger.store import LedgerStore, WriteResult

log = logging.getLogger("spidergate.ledger")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WriterConfig:
    """The writer's bounds and timings; the defaults suit one gateway process."""

    # Entries kept in memory for the writer; beyond this they are read back from disk.
    queue_size: int = 10_000
    # Rows per transaction from memory. Batches of 500 doubled the gateway's p99 latency
    # against batches of 100 at ~2,000 requests/s on one core (the rows' CPU comes in one
    # burst), for the same throughput; the per-transaction cost is small next to the rows'.
    batch_size: int = 100
    # Rows per transaction when catching up from disk (after an outage or a crash): larger
    # batches touch fewer pages per row of a random-key index (docs/ledger.md).
    backlog_batch_size: int = 1_000
    flush_interval_s: float = 0.2
    retry_initial_s: float = 0.1
    retry_max_s: float = 5.0
    close_timeout_s: float = 30.0
    warn_interval_s: float = 60.0


class LedgerWriter:
    """A :class:`~gate_service.ledger.entry.Ledger` over a journal and a
    :class:`LedgerStore`; ``reads`` paces the usage and traces queries (:mod:`.reads`)."""

    def __init__(
        self,
        store: LedgerStore,
        journal: Journal,
        config: WriterConfig | None = None,
        *,
        reads: ReadGate | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._journal = journal
        self._config = config or WriterConfig()
        self.reads = reads or ReadGate()
        self._clock = clock
        # (seq, entry) in sequence order, possibly with gaps (those are on disk only).
        self._queue: deque[tuple[int, RequestRecord]] = deque()
        # Numbers of queued entries the journal could not take: memory is all they have.
        self._memory_only: set[int] = set()
        self._spilling = False
        # The last sequence number committed; until the watermark is read, the journal's
        # end at start (what came before is counted once it is known).
        self._committed: int | None = None
        self._start_seq = journal.last_seq
        self._oldest: float | None = None
        self._dropped = 0
        self._written = 0
        self._closed = False
        self._stopping = False
        # flush() asks for everything up to this number without waiting for a full batch.
        self._flush_to = 0
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="ledger-writer")
        self._warned_at: dict[str, float] = {}

    # ------------------------------------------------------------------ the request side

    def record(self, entry: RequestRecord) -> None:
        """Journal an entry and queue it for the writer; never blocks, never raises."""
        try:
            if self._closed:
                self._drop("closed", "an entry arrived after shutdown")
                return
            if not isinstance(entry, RequestRecord):
                self._drop("invalid", f"not a RequestRecord: {type(entry).__name__}")
                return
            seq = self._journal.append(entry)
            if self._spilling and not self._queue:
                self._spilling = False
            if seq is None:
                # Not on disk (the journal failed and logged why): memory is all it has.
                seq = self._journal.last_seq
                if len(self._queue) < self._config.queue_size:
                    self._queue.append((seq, entry))
                    self._memory_only.add(seq)
                else:
                    self._drop("unjournaled", "the journal cannot be written and memory is full")
            elif not self._spilling and len(self._queue) < self._config.queue_size:
                self._queue.append((seq, entry))
            else:
                self._spilling = True
            backlog = self.queue_depth
            if backlog == 1:
                self._oldest = self._clock()
            if backlog == 1 or backlog >= self._config.batch_size:
                self._wake.set()
        except Exception:  # pragma: no cover - a bug here must not fail a request
            self._dropped += 1
            log.exception("could not record an entry")

    @property
    def queue_depth(self) -> int:
        """Entries recorded but not yet committed (in memory or only on disk)."""
        committed = self._start_seq if self._committed is None else self._committed
        return max(self._journal.last_seq - committed, 0)

    @property
    def in_memory(self) -> int:
        """Entries held in memory for the writer (at most ``queue_size``)."""
        return len(self._queue)

    @property
    def journal(self) -> Journal:
        return self._journal

    @property
    def dropped(self) -> int:
        """Entries given up on: refused by the database, damaged on disk, recorded after
        ``close``, or neither journaled (disk full) nor held in memory."""
        return self._dropped

    @property
    def written(self) -> int:
        """Entries stored since start (including those replayed from the journal)."""
        return self._written

    @property
    def journal_bytes(self) -> int:
        """Bytes in this process's journal segments (grows while the database lags)."""
        return self._journal.size_bytes

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start the writer task; it first writes what the journal holds from before."""
        if self._task is None and not self._closed:
            self._task = asyncio.create_task(self._run(), name="ledger-writer")

    async def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything recorded so far is committed; False on timeout."""
        target = self._journal.last_seq
        self._flush_to = max(self._flush_to, target)
        self._wake.set()
        try:
            async with asyncio.timeout(timeout_s):
                while self._committed is None or self._committed < target:
                    if self._task is None or self._task.done():
                        return False
                    self._progress.clear()
                    await self._progress.wait()
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        """Write everything pending (at most ``close_timeout_s``), then stop; what is left
        stays in the journal for the next start."""
        if self._closed:
            return
        self._stopping = True
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ledger-writer")
        task = self._task
        try:
            await asyncio.wait_for(asyncio.shield(task), self._config.close_timeout_s)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        except Exception:  # pragma: no cover - the task logs its own failures
            log.exception("the ledger writer failed")
        self._closed = True
        left = self.queue_depth
        lost = len(self._memory_only)
        self._dropped += lost
        if not left and self._committed is not None:
            await self._on_thread(self._seal)
        self._thread.shutdown(wait=False)
        await asyncio.to_thread(self._journal.close)
        self.reads.close()
        log.info("closed; %d written, %d dropped", self._written, self._dropped)
        if left:
            log.warning(
                "%d entries could not be written before shutdown (database unavailable); "
                "they stay in the journal %s and are written at the next start%s",
                left,
                self._journal.directory,
                f" (except {lost} that could not be journaled)" if lost else "",
            )

    def _seal(self) -> None:
        self._journal.seal()
        if self._committed is not None:
            self._journal.release(self._committed)

    # ------------------------------------------------------------------ the writer task

    async def _run(self) -> None:
        mark = await self._retrying("reading the journal's watermark", self._read_mark)
        self._committed = min(mark, self._journal.last_seq)
        if mark > self._journal.last_seq:  # pragma: no cover - a journal id is never reused
            log.error("the database is ahead of journal %s; ignoring it", self._journal.key)
        if self._committed < self._start_seq:
            log.info(
                "writing %d entries left in the journal by a previous run",
                self._start_seq - self._committed,
            )
        await self._adopt_orphans()
        while True:
            try:
                if self._committed >= self._journal.last_seq:
                    if self._stopping:
                        return
                    self._oldest = None
                    self._wake.clear()
                    if self._committed >= self._journal.last_seq:
                        await self._wake.wait()
                    continue
                await self._fill()
                batch, upto = await self._take()
                await self._write(self._journal, batch, upto)
            except asyncio.CancelledError:
                raise
            except Exception:  # pragma: no cover - keep writing whatever a bug did
                log.exception("the writer hit an unexpected error; continuing")
                await asyncio.sleep(self._config.retry_initial_s)

    def _read_mark(self) -> int:
        mark = self._store.watermark(self._journal.key)
        self._journal.release(mark)
        return mark

    async def _fill(self) -> None:
        """Wait until a batch is full or the oldest pending entry has waited
        ``flush_interval_s`` (not at all when stopping or flushing)."""
        deadline = (self._oldest or self._clock()) + self._config.flush_interval_s
        while (
            not self._stopping
            and self.queue_depth < self._config.batch_size
            and (self._committed or 0) >= self._flush_to
        ):
            remaining = deadline - self._clock()
            if remaining <= 0:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), remaining)

    async def _take(self) -> tuple[list[tuple[int, RequestRecord]], int]:
        """The next batch of consecutive numbers, from memory or from disk, and the last
        number it covers."""
        assert self._committed is not None
        lo = self._committed + 1
        queue, size = self._queue, self._config.batch_size
        while queue and queue[0][0] < lo:
            self._memory_only.discard(queue.popleft()[0])
        if queue and queue[0][0] == lo:
            batch: list[tuple[int, RequestRecord]] = []
            while queue and len(batch) < size and queue[0][0] == lo + len(batch):
                batch.append(queue.popleft())
            return batch, lo + len(batch) - 1
        first_in_memory = queue[0][0] if queue else None
        hi = self._journal.last_seq if first_in_memory is None else first_in_memory - 1
        hi = min(hi, lo + self._config.backlog_batch_size - 1)
        found = await self._on_thread(self._journal.read, lo, hi)
        if found.corrupt:
            self._dropped += found.corrupt
        return list(found.entries), hi

    async def _write(
        self, journal: Journal, batch: list[tuple[int, RequestRecord]], upto: int
    ) -> None:
        """Commit one batch, retrying database failures with backoff until it is stored."""
        if batch:
            result = await self._retrying(
                f"writing {len(batch)} entries", self._commit, journal, batch, upto
            )
        else:  # nothing on disk for these numbers (never written): just move past them
            result = WriteResult(0, 0)
        if journal is self._journal:
            self._committed = upto
            if self._memory_only:
                self._memory_only.difference_update(seq for seq, _ in batch)
            if self.queue_depth:
                self._oldest = self._clock()
            self._progress.set()
        self._written += result.written
        self._dropped += result.rejected

    def _commit(
        self, journal: Journal, batch: list[tuple[int, RequestRecord]], upto: int
    ) -> WriteResult:
        try:
            result = self._store.commit(batch, journal.key, upto)
        except SQLAlchemyError:
            raise
        except Exception:
            # Not the database: a bug that retrying will not fix.
            log.exception("dropped a batch of %d entries", len(batch))
            result = WriteResult(0, len(batch))
        journal.release(upto)
        return result

    async def _adopt_orphans(self) -> None:
        """Empty the journals of processes that ended without coming back."""
        own = self._journal.directory
        orphans = await self._on_thread(lambda: Journal.orphans(own.parent, exclude=own))
        for orphan in orphans:
            try:
                mark = await self._retrying(
                    "reading a journal's watermark", self._store.watermark, orphan.key
                )
                log.info(
                    "adopting journal %s: %d entries to write",
                    orphan.directory,
                    max(orphan.last_seq - mark, 0),
                )
                while mark < orphan.last_seq:
                    hi = min(orphan.last_seq, mark + self._config.backlog_batch_size)
                    found = await self._on_thread(orphan.read, mark + 1, hi)
                    self._dropped += found.corrupt
                    await self._write(orphan, list(found.entries), hi)
                    mark = hi
                await self._on_thread(orphan.release, orphan.last_seq)
            finally:
                await self._on_thread(orphan.close)

    async def _retrying(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the writer's thread, retried with backoff while the database
        fails."""
        delay = self._config.retry_initial_s
        failures = 0
        while True:
            try:
                result = await self._on_thread(fn, *args)
            except SQLAlchemyError as exc:
                failures += 1
                self._warn(
                    "retry",
                    "%s failed (%s, attempt %d); retrying",
                    what,
                    type(exc).__name__,
                    failures,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._config.retry_max_s)
                continue
            if failures:
                log.info("%s succeeded after %d retries", what, failures)
            return result

    async def _on_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """Run on the writer's own thread: never queued behind readers in the default pool."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    # ------------------------------------------------------------------ bookkeeping

    def _drop(self, kind: str, reason: str) -> None:
        self._dropped += 1
        self._warn(kind, "dropping entries, %s (%d dropped so far)", reason, self._dropped)

    def _warn(self, kind: str, message: str, *args: object) -> None:
        """Log at most once per ``warn_interval_s`` for each kind of trouble."""
        now = self._clock()
        last = self._warned_at.get(kind)
        if last is None or now - last >= self._config.warn_interval_s:
            self._warned_at[kind] = now
            log.warning(message, *args)

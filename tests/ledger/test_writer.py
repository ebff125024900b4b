"""The ledger writer on SQLite and PostgreSQL: batching, flush on close, a full queue read
back from the journal, database failures retried while the journal grows, the watermark
committed with its batch, replay after a crash (a real SIGKILL of a process), journals of
other processes adopted, and rows the database refuses isolated."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError, OperationalError

from gate_service.ledger import LedgerWriter, RequestRecord
from gate_service.ledger.store import REQUESTS, LedgerStore, Numbered, WriteResult
from gate_service.storage.database import Database
from tests.ledger.conftest import MakeWriter

Make = Callable[..., RequestRecord]
REPO = Path(__file__).resolve().parents[2]


def count(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(REQUESTS)).scalar_one())


def stored_ids(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.execute(select(REQUESTS.c.id)).scalars())


def segments(journal_dir: Path) -> list[Path]:
    return sorted(journal_dir.glob("*/*.seg"))


def down() -> OperationalError:
    return OperationalError("INSERT", {}, Exception("server closed the connection"))


class SpyStore(LedgerStore):
    """The real store, noting each batch, failing while ``failures`` is above zero (-1:
    until told otherwise)."""

    def __init__(self, db: Database, failures: int = 0) -> None:
        super().__init__(db)
        self.batches: list[int] = []
        self.failures = failures

    def commit(self, batch: Sequence[Numbered], key: str, upto: int) -> WriteResult:
        if self.failures:
            self.failures -= self.failures > 0
            raise down()
        self.batches.append(len(batch))
        return super().commit(batch, key, upto)


# ---------------------------------------------------------------------------- batching


async def test_batches_are_bounded_and_everything_lands(
    db: Database, make_entry: Make, make_writer: MakeWriter
) -> None:
    store = SpyStore(db)
    writer = make_writer(store, batch_size=500)
    for _ in range(1_200):
        writer.record(make_entry())
    assert writer.queue_depth == 1_200
    await writer.start()
    assert await writer.flush()
    assert count(db) == 1_200
    assert store.batches == [500, 500, 200]
    assert (writer.queue_depth, writer.dropped, writer.written) == (0, 0, 1_200)


async def test_a_trickle_is_grouped_within_the_flush_interval(
    db: Database, make_entry: Make, make_writer: MakeWriter
) -> None:
    store = SpyStore(db)
    writer = make_writer(store, flush_interval_s=0.3)
    await writer.start()
    for _ in range(5):
        writer.record(make_entry())
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)
    assert count(db) == 0  # still inside the window opened by the first entry
    assert await writer.flush()
    assert store.batches == [5]


async def test_close_writes_five_thousand_pending_entries(
    db: Database, make_entry: Make, make_writer: MakeWriter
) -> None:
    writer = make_writer()
    await writer.start()
    for _ in range(5_000):
        writer.record(make_entry())
    await writer.close()
    assert count(db) == 5_000
    assert (writer.queue_depth, writer.dropped, writer.written) == (0, 0, 5_000)


async def test_close_without_start_still_writes(
    db: Database, make_entry: Make, make_writer: MakeWriter
) -> None:
    writer = make_writer()
    for _ in range(10):
        writer.record(make_entry())
    await writer.close()
    assert count(db) == 10


# ---------------------------------------------------------------------------- memory bound


async def test_a_full_queue_spills_to_the_journal_and_drops_nothing(
    db: Database, make_entry: Make, make_writer: MakeWriter
) -> None:
    store = SpyStore(db)
    writer = make_writer(store, queue_size=10, batch_size=100, backlog_batch_size=300)
    entries = [make_entry() for _ in range(1_000)]
    for e in entries:
        writer.record(e)  # the writer is not running: nothing drains
    assert (writer.queue_depth, writer.in_memory, writer.dropped) == (1_000, 10, 0)
    await writer.start()
    assert await writer.flush()
    assert sorted(stored_ids(db)) == sorted(e.id for e in entries)
    # Ten from memory, then the rest read back from disk in the larger batches of a backlog.
    assert store.batches == [10, 300, 300, 300, 90] and writer.dropped == 0


async def test_memory_refills_once_the_backlog_is_on_disk(
    db: Database, make_entry: Make, make_writer: MakeWriter
) -> None:
    store = SpyStore(db, failures=-1)
    writer = make_writer(store, queue_size=20, retry_initial_s=0.01, retry_max_s=0.02)
    await writer.start()
    for _ in range(500):
        writer.record(make_entry())
        assert writer.in_memory <= 20
    store.failures = 0
    assert await writer.flush()
    for _ in range(15):
        writer.record(make_entry())
    assert writer.in_memory == 15  # the queue is the fast path again
    assert await writer.flush()
    assert count(db) == 515 and writer.dropped == 0


# ---------------------------------------------------------------------------- database down


async def test_database_down_the_journal_grows_then_everything_is_written(
    db: Database, make_entry: Make, make_writer: MakeWriter, journal_dir: Path
) -> None:
    store = SpyStore(db, failures=-1)
    writer = make_writer(
        store, segment_bytes=64 * 1024, queue_size=100, retry_initial_s=0.01, retry_max_s=0.05
    )
    await writer.start()
    entries = [make_entry() for _ in range(3_000)]
    for e in entries[:1_500]:
        writer.record(e)
    grown = writer.journal_bytes
    for e in entries[1_500:]:
        writer.record(e)
    assert writer.journal_bytes > grown > 0 and len(segments(journal_dir)) > 10
    assert (writer.queue_depth, writer.dropped, count(db)) == (3_000, 0, 0)
    store.failures = 0  # the database is back
    assert await writer.flush(30)
    assert sorted(stored_ids(db)) == sorted(e.id for e in entries)
    assert writer.dropped == 0
    # Every segment but the one being appended to is gone.
    assert len(segments(journal_dir)) == 1


async def test_close_leaves_what_it_could_not_write_for_the_next_start(
    db: Database, make_entry: Make, make_writer: MakeWriter
) -> None:
    store = SpyStore(db, failures=-1)
    writer = make_writer(store, retry_initial_s=0.01, retry_max_s=0.02, close_timeout_s=0.3)
    await writer.start()
    entries = [make_entry() for _ in range(7)]
    for e in entries:
        writer.record(e)
    await asyncio.wait_for(writer.close(), 5)
    assert (writer.queue_depth, writer.dropped, count(db)) == (7, 0, 0)
    writer.record(make_entry())  # after close: counted, not raised
    assert writer.dropped == 1
    # The next start, the database working again, writes them.
    again = make_writer()
    await again.start()
    assert await again.flush()
    assert sorted(stored_ids(db)) == sorted(e.id for e in entries)
    assert again.written == 7


# ---------------------------------------------------------------------------- watermark


class FailsBeforeCommit(LedgerStore):
    """Fails once inside the transaction: after the rows went in, before the watermark."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.marks = 0

    def _mark(self, conn: Connection, key: str, seq: int) -> None:
        self.marks += 1
        if self.marks == 1:
            raise down()
        super()._mark(conn, key, seq)


class LostAcknowledgement(LedgerStore):
    """Commits, then reports failure once: the acknowledgement of a commit was lost."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.lost = 0

    def commit(self, batch: Sequence[Numbered], key: str, upto: int) -> WriteResult:
        result = super().commit(batch, key, upto)
        if not self.lost:
            self.lost = len(batch)
            raise down()
        return result


async def test_a_failure_inside_the_transaction_leaves_no_row_and_no_watermark(
    db: Database, make_entry: Make, make_writer: MakeWriter
) -> None:
    """Rows and watermark commit together: the failed attempt left neither behind, or the
    retry would have stored every row twice (or, skipping them, none)."""
    store = FailsBeforeCommit(db)
    writer = make_writer(store, retry_initial_s=0.01)
    entries = [make_entry() for _ in range(20)]
    for e in entries:
        writer.record(e)
    await writer.start()
    assert await writer.flush()
    ids = stored_ids(db)
    assert sorted(ids) == sorted(e.id for e in entries) and len(set(ids)) == 20
    assert store.watermark(writer.journal.key) == 20 and store.marks == 2


async def test_a_lost_commit_acknowledgement_stores_nothing_twice(
    db: Database, make_entry: Make, make_writer: MakeWriter
) -> None:
    store = LostAcknowledgement(db)
    writer = make_writer(store, retry_initial_s=0.01)
    entries = [make_entry() for _ in range(30)]
    for e in entries:
        writer.record(e)
    await writer.start()
    assert await writer.flush()
    ids = stored_ids(db)
    assert store.lost == 30 and len(ids) == 30 == len(set(ids))


# ---------------------------------------------------------------------------- crash


_CRASH = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from pathlib import Path
    sys.path.insert(0, {repo!r})
    from tests.ledger.conftest import entry
    from gate_service.ledger import Journal, LedgerWriter, WriterConfig
    from gate_service.ledger.store import LedgerStore
    from gate_service.storage.database import Database

    async def main() -> None:
        db = Database({url!r})
        journal = Journal.open(Path({journal!r}), segment_bytes=8192)
        # Batches and the flush interval large: nothing is written unless flushed.
        config = WriterConfig(batch_size=100_000, flush_interval_s=3600)
        writer = LedgerWriter(LedgerStore(db), journal, config)
        await writer.start()
        for i in range({committed}):
            writer.record(entry(id=f"crash-{{i:05d}}"))
        assert await writer.flush()
        for i in range({committed}, {total}):
            writer.record(entry(id=f"crash-{{i:05d}}"))
        print("recorded", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    asyncio.run(main())
    """
)


async def test_a_sigkill_loses_nothing_recorded_and_stores_nothing_twice(
    db: Database, database_url: str, make_writer: MakeWriter, journal_dir: Path
) -> None:
    """A process commits 300 entries, records 700 more, and is killed: the next start
    writes exactly the 700."""
    script = _CRASH.format(
        repo=str(REPO), url=database_url, journal=str(journal_dir), committed=300, total=1_000
    )
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert "recorded" in done.stdout and count(db) == 300
    writer = make_writer()
    await writer.start()
    assert await writer.flush()
    ids = stored_ids(db)
    assert len(ids) == len(set(ids)) == 1_000
    assert set(ids) == {f"crash-{i:05d}" for i in range(1_000)}
    assert writer.written == 700 and writer.dropped == 0


# ---------------------------------------------------------------------------- journal files


async def test_committed_segments_are_deleted(
    db: Database, make_entry: Make, make_writer: MakeWriter, journal_dir: Path
) -> None:
    writer = make_writer(segment_bytes=4_096, batch_size=50)
    for _ in range(200):
        writer.record(make_entry())
    assert len(segments(journal_dir)) > 10
    await writer.start()
    assert await writer.flush()
    assert len(segments(journal_dir)) == 1  # the one being appended to
    await writer.close()
    (left,) = segments(journal_dir)
    assert left.stat().st_size == 0  # sealed: an empty segment keeps the numbering
    again = make_writer()
    again.record(make_entry())
    await again.start()
    assert await again.flush() and count(db) == 201


async def test_a_torn_last_line_is_ignored_and_a_damaged_one_counted(
    db: Database, make_entry: Make, make_writer: MakeWriter, journal_dir: Path
) -> None:
    store = SpyStore(db, failures=-1)
    first = make_writer(store, close_timeout_s=0.2, retry_initial_s=0.01)
    entries = [make_entry() for _ in range(10)]
    for e in entries:
        first.record(e)
    await first.close()  # the database was down: all ten stay in the journal
    (segment,) = segments(journal_dir)
    lines = segment.read_bytes().splitlines(keepends=True)
    damaged = bytearray(lines[4])
    damaged[-10] ^= 0x01  # one bit of entry #5's payload
    torn = lines[9][: len(lines[9]) // 2]  # entry #10 cut mid-write, as by a crash
    segment.write_bytes(b"".join([*lines[:4], bytes(damaged), *lines[5:9], torn]))
    second = make_writer()
    await second.start()
    assert await second.flush()
    expected = [e.id for i, e in enumerate(entries) if i not in (4, 9)]
    assert sorted(stored_ids(db)) == sorted(expected)
    assert second.dropped == 1  # the damaged line; the torn tail was never acknowledged
    # New entries go on in a new segment, after the torn tail.
    late = make_entry()
    second.record(late)
    assert await second.flush() and late.id in stored_ids(db)


async def test_two_writers_share_a_folder_and_an_orphan_is_adopted(
    db: Database, make_entry: Make, make_writer: MakeWriter, journal_dir: Path
) -> None:
    survivor = make_writer()
    gone = make_writer(SpyStore(db, failures=-1), close_timeout_s=0.2, retry_initial_s=0.01)
    assert survivor.journal.directory != gone.journal.directory
    assert survivor.journal.key != gone.journal.key
    theirs = [make_entry() for _ in range(25)]
    for e in theirs:
        gone.record(e)
    await gone.close()  # ended with its database down, and never came back
    mine = make_entry()
    survivor.record(mine)
    await survivor.start()
    assert await survivor.flush()
    assert sorted(stored_ids(db)) == sorted([mine.id, *(e.id for e in theirs)])
    assert survivor.written == 26
    assert list(gone.journal.directory.glob("*.seg")) == []


# ---------------------------------------------------------------------------- refused rows


async def test_database_errors_are_retried_until_written(
    db: Database, make_entry: Make, make_writer: MakeWriter
) -> None:
    store = SpyStore(db, failures=3)
    writer = make_writer(store, retry_initial_s=0.01, retry_max_s=0.02)
    await writer.start()
    for _ in range(50):
        writer.record(make_entry())
    assert await writer.flush(5)
    assert count(db) == 50 and writer.dropped == 0 and store.failures == 0


async def test_a_reused_request_id_keeps_both_requests(db: Database, make_entry: Make) -> None:
    first = make_entry(id="client-chosen-id")
    second = make_entry(id="client-chosen-id", latency_ms=7.0)
    result = LedgerStore(db).write([first, second])
    assert result == WriteResult(2, 0)
    ids = sorted(stored_ids(db))
    assert ids[0] == "client-chosen-id" and ids[1].startswith("client-chosen-id~")


async def test_a_batch_written_twice_is_stored_once(db: Database, make_entry: Make) -> None:
    """Rows stored without a watermark (before it existed) are recognised, not doubled."""
    entries = [make_entry() for _ in range(3)]
    store = LedgerStore(db)
    assert store.write(entries) == WriteResult(3, 0)
    assert store.write(entries) == WriteResult(0, 0)
    assert count(db) == 3


async def test_values_postgresql_would_refuse_are_cleaned(db: Database, make_entry: Make) -> None:
    e = make_entry(requested_model="m" * 1_000, agent_name="a\x00b", error_code="x" * 100)
    e.attempts[0].error_message = "boom\x00" * 200
    assert LedgerStore(db).write([e]) == WriteResult(1, 0)
    with db.engine.connect() as conn:
        row = conn.execute(select(REQUESTS)).one()
    assert len(row.requested_model) == 300 and row.agent_name == "ab"
    assert len(row.error_code) == 64 and '"boom' in row.attempts
    assert "\\u0000" not in row.attempts and len(row.attempts) < 600


class RefusesOne(LedgerStore):
    """The database refuses one request's row (as PostgreSQL refuses a bad value)."""

    def __init__(self, db: Database, refused: str) -> None:
        super().__init__(db)
        self.refused = refused

    def _insert(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        if any(row["id"] == self.refused for row in rows):
            raise DataError("INSERT", {}, Exception("value out of range"))
        super()._insert(conn, rows)


async def test_a_row_the_database_refuses_is_counted_and_passed(
    db: Database, make_entry: Make, make_writer: MakeWriter
) -> None:
    good = [make_entry() for _ in range(3)]
    bad = make_entry()
    writer = make_writer(RefusesOne(db, bad.id))
    for e in (good[0], bad, good[1], good[2]):
        writer.record(e)
    await writer.start()
    assert await writer.flush()
    assert sorted(stored_ids(db)) == sorted(e.id for e in good)
    assert writer.dropped == 1 and writer.written == 3
    assert LedgerStore(db).watermark(writer.journal.key) == 4


async def test_absurd_counts_are_clamped_not_refused(db: Database, make_entry: Make) -> None:
    assert LedgerStore(db).write([make_entry(prompt_tokens=10**30)]) == WriteResult(1, 0)
    with db.engine.connect() as conn:
        assert conn.execute(select(REQUESTS.c.prompt_tokens)).scalar_one() == 2**31 - 1


@pytest.mark.parametrize("size", [1, 3])
async def test_record_never_raises_on_a_bad_entry(make_writer: MakeWriter, size: int) -> None:
    writer: LedgerWriter = make_writer()
    for _ in range(size):
        writer.record(None)  # type: ignore[arg-type]
    await writer.close()
    assert writer.dropped == size

"""The write-behind writer on SQLite and PostgreSQL: batching, flush on close, the
full-queue policy, database failures retried, and rows the database refuses isolated."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from gate_service.ledger import LedgerEntry, LedgerWriter, WriterConfig
from gate_service.ledger.store import ATTEMPTS, REQUESTS, LedgerStore, WriteResult
from gate_service.storage.database import Database

Make = Callable[..., LedgerEntry]


def count(db: Database, table: object = REQUESTS) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


class SpyStore(LedgerStore):
    """The real store, noting each batch's size, failing the first ``failures`` calls."""

    def __init__(self, db: Database, failures: int = 0) -> None:
        super().__init__(db)
        self.batches: list[int] = []
        self.failures = failures

    def write(self, entries: Sequence[LedgerEntry]) -> WriteResult:
        if self.failures:
            self.failures -= 1
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        self.batches.append(len(entries))
        return super().write(entries)


async def test_batches_are_bounded_and_everything_lands(db: Database, make_entry: Make) -> None:
    store = SpyStore(db)
    writer = LedgerWriter(store, WriterConfig(batch_size=500))
    for _ in range(1_200):
        writer.record(make_entry())
    assert writer.queue_depth == 1_200
    await writer.start()
    assert await writer.flush()
    assert count(db) == 1_200 and count(db, ATTEMPTS) == 1_200
    assert max(store.batches) == 500 and sum(store.batches) == 1_200
    assert len(store.batches) == 3
    await writer.close()


async def test_a_trickle_is_grouped_within_the_flush_interval(
    db: Database, make_entry: Make
) -> None:
    store = SpyStore(db)
    writer = LedgerWriter(store, WriterConfig(flush_interval_s=0.3))
    await writer.start()
    for _ in range(5):
        writer.record(make_entry())
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)
    assert count(db) == 0  # still inside the window opened by the first entry
    assert await writer.flush()
    assert store.batches == [5]
    await writer.close()


async def test_close_flushes_five_thousand_queued_entries(db: Database, make_entry: Make) -> None:
    writer = LedgerWriter(LedgerStore(db))
    await writer.start()
    for _ in range(5_000):
        writer.record(make_entry())
    await writer.close()
    assert count(db) == 5_000 and count(db, ATTEMPTS) == 5_000
    assert (writer.queue_depth, writer.dropped, writer.written) == (0, 0, 5_000)


async def test_close_without_start_still_writes(db: Database, make_entry: Make) -> None:
    writer = LedgerWriter(LedgerStore(db))
    for _ in range(10):
        writer.record(make_entry())
    await writer.close()
    assert count(db) == 10


async def test_full_queue_spills_then_drops_and_never_blocks(
    db: Database, make_entry: Make
) -> None:
    writer = LedgerWriter(LedgerStore(db), WriterConfig(queue_size=10, overflow_cap=5))
    for _ in range(20):
        writer.record(make_entry())  # the writer is not running: nothing drains
    assert (writer.queue_depth, writer.dropped) == (15, 5)
    await writer.close()
    assert count(db) == 15 and writer.dropped == 5


async def test_database_errors_are_retried_until_written(db: Database, make_entry: Make) -> None:
    store = SpyStore(db, failures=3)
    writer = LedgerWriter(store, WriterConfig(retry_initial_s=0.01, retry_max_s=0.02))
    await writer.start()
    for _ in range(50):
        writer.record(make_entry())
    assert await writer.flush(5)
    assert count(db) == 50 and writer.dropped == 0 and store.failures == 0
    await writer.close()


async def test_close_gives_up_after_its_timeout(db: Database, make_entry: Make) -> None:
    store = SpyStore(db, failures=10**9)
    config = WriterConfig(retry_initial_s=0.01, retry_max_s=0.02, close_timeout_s=0.3)
    writer = LedgerWriter(store, config)
    await writer.start()
    for _ in range(7):
        writer.record(make_entry())
    await asyncio.wait_for(writer.close(), 5)
    assert (writer.queue_depth, writer.dropped, count(db)) == (0, 7, 0)
    writer.record(make_entry())  # after close: counted, not raised
    assert writer.dropped == 8


async def test_a_reused_request_id_keeps_both_requests(db: Database, make_entry: Make) -> None:
    first = make_entry(request_id="client-chosen-id")
    second = make_entry(request_id="client-chosen-id", latency_ms=7.0)
    result = LedgerStore(db).write([first, second])
    assert result == WriteResult(2, 0)
    with db.engine.connect() as conn:
        ids = sorted(conn.execute(select(REQUESTS.c.id)).scalars())
        attempt_ids = set(conn.execute(select(ATTEMPTS.c.request_id)).scalars())
    assert ids[0] == "client-chosen-id" and ids[1].startswith("client-chosen-id~")
    assert attempt_ids == set(ids)


async def test_a_batch_written_twice_is_stored_once(db: Database, make_entry: Make) -> None:
    """A commit whose acknowledgement was lost is retried: the retry must not duplicate."""
    entries = [make_entry() for _ in range(3)]
    store = LedgerStore(db)
    assert store.write(entries) == WriteResult(3, 0)
    assert store.write(entries) == WriteResult(0, 0)
    assert count(db) == 3 and count(db, ATTEMPTS) == 3


async def test_values_postgresql_would_refuse_are_cleaned(db: Database, make_entry: Make) -> None:
    e = make_entry(requested_model="m" * 1_000, agent_name="a\x00b", error_code="x" * 100)
    e.attempts[0].error_message = "boom\x00" * 200
    assert LedgerStore(db).write([e]) == WriteResult(1, 0)
    with db.engine.connect() as conn:
        row = conn.execute(select(REQUESTS)).one()
        attempt = conn.execute(select(ATTEMPTS)).one()
    assert len(row.requested_model) == 300 and row.agent_name == "ab"
    assert len(row.error_code) == 64 and len(attempt.error_message) == 300


@pytest.mark.parametrize("size", [1, 3])
async def test_record_never_raises_on_a_bad_entry(db: Database, size: int) -> None:
    writer = LedgerWriter(LedgerStore(db))
    for _ in range(size):
        writer.record(None)  # type: ignore[arg-type]
    await writer.close()
    assert writer.dropped == size

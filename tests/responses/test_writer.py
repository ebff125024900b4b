"""Group commit of stored responses (``responses/writer.py``) on SQLite and PostgreSQL:
every save returns only once its row is committed; saves that arrive while a transaction
runs share the next one; a failed transaction fails each of its saves; close waits."""

from __future__ import annotations

import asyncio

import pytest

from gate_service.responses.store import ResponseStore, Row
from gate_service.responses.writer import GroupWriter
from gate_service.storage.database import Database


class CountingStore(ResponseStore):
    """The real store, counting its transactions (and able to fail the next one)."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, 30)
        self.groups: list[int] = []
        self.fail_next = False

    def save_rows(self, rows: list[Row]) -> None:
        self.groups.append(len(rows))
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("database unavailable")
        super().save_rows(rows)


def _row(store: ResponseStore, n: int) -> Row:
    return store.row("cli_a", {"id": f"resp_{n}", "output": []}, [], [])


async def test_concurrent_saves_share_transactions_and_are_committed(db: Database) -> None:
    store = CountingStore(db)
    writer = GroupWriter(store)
    await asyncio.gather(*(writer.save(_row(store, n)) for n in range(50)))
    # Every row is readable once its save returned, and the 50 saves, all handed in before
    # the writer first ran, took one commit.
    assert all(store.get("cli_a", f"resp_{n}") is not None for n in range(50))
    assert store.groups == [50]


async def test_a_group_bound_and_a_failed_transaction(db: Database) -> None:
    store = CountingStore(db)
    writer = GroupWriter(store, max_group=4)
    await asyncio.gather(*(writer.save(_row(store, n)) for n in range(9)))
    assert store.groups == [4, 4, 1]

    store.fail_next = True
    results = await asyncio.gather(
        *(writer.save(_row(store, n)) for n in range(100, 103)), return_exceptions=True
    )
    assert [type(r) for r in results] == [RuntimeError, RuntimeError, RuntimeError]
    await writer.save(_row(store, 200))  # the writer carries on after a failure
    assert store.get("cli_a", "resp_200") is not None


async def test_a_cancelled_save_still_writes_and_close_waits(db: Database) -> None:
    store = CountingStore(db)
    writer = GroupWriter(store)
    task = asyncio.create_task(writer.save(_row(store, 1)))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await writer.close()
    assert store.get("cli_a", "resp_1") is not None

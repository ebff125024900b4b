"""Stored responses on SQLite and PostgreSQL: scoped to the brand, expired after the
retention bound, purged at most once an hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gate_service.responses.store import PURGE_EVERY_S, ResponseStore
from gate_service.storage.database import Database


class Clocks:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, tzinfo=UTC)
        self.mono = 1000.0


def test_scoped_expired_and_purged(db: Database) -> None:
    clocks = Clocks()
    store = ResponseStore(db, 30, clock=lambda: clocks.now, monotonic=lambda: clocks.mono)
    items = [{"type": "message", "id": "msg_1", "role": "user", "content": []}]
    output = [{"type": "message", "id": "msg_2", "role": "assistant", "content": []}]
    store.save("cli_a", {"id": "resp_1", "output": output}, items, [{"id": "old"}])
    got = store.get("cli_a", "resp_1")
    assert got is not None and got.input_items == items
    assert got.conversation == [{"id": "old"}, *items, *output]
    assert store.get("cli_b", "resp_1") is None  # another brand
    assert not store.delete("cli_b", "resp_1")

    clocks.now += timedelta(days=31)
    assert store.get("cli_a", "resp_1") is None  # past retention: never returned
    store.save("cli_a", {"id": "resp_2", "output": []}, [], [])
    # The first save purged (nothing was due); within the hour no save purges again, so
    # resp_1, expired, waits for the next hourly purge, which also takes resp_2 by then.
    assert store.purge_if_due() == 0
    clocks.mono += PURGE_EVERY_S
    clocks.now += timedelta(days=31)
    assert store.purge_if_due() == 2
    assert store.purge() == 0
    with db.engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT count(*) FROM stored_response").scalar()
    assert count == 0


def test_delete(db: Database) -> None:
    store = ResponseStore(db, 30)
    store.save("cli_a", {"id": "resp_9", "output": []}, [], [])
    assert store.delete("cli_a", "resp_9")
    assert store.get("cli_a", "resp_9") is None
    assert not store.delete("cli_a", "resp_9")


def test_writes_skip_the_flush_and_nothing_else_does(db: Database) -> None:
    """Stored responses are written on the relaxed handle; the main one keeps full
    durability (SQLite synchronous FULL, PostgreSQL synchronous_commit on)."""
    store = ResponseStore(db, 30)
    setting = "PRAGMA synchronous" if db.dialect == "sqlite" else "SHOW synchronous_commit"
    store.save("cli_a", {"id": "resp_s", "output": []}, [], [])
    with store.writes.engine.connect() as connection:
        assert connection.exec_driver_sql(setting).scalar() in (1, "off")  # NORMAL / off
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql(setting).scalar() in (2, "on")  # FULL / on
    assert store.get("cli_a", "resp_s") is not None  # visible through the main handle
    store.close()

"""How a catalog change is announced, picked per deployment, and heard: a real PostgreSQL
NOTIFY sent inside a committed transaction (and not for a rolled-back one), a real Redis
PUBLISH, each received by a listener of another "replica"."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from gate_service.catalog.changes import (
    CatalogChanges,
    LocalChanges,
    PostgresChanges,
    RedisChanges,
    catalog_changes,
    postgres_conninfo,
)
from gate_service.storage.database import Database
from tests.e2e.test_replicas import REDIS_URL, _require_redis


def test_the_bus_follows_the_deployment(db: Database) -> None:
    picked = catalog_changes(db, None)
    if db.dialect == "postgresql":
        assert isinstance(picked, PostgresChanges)
        assert isinstance(catalog_changes(db, REDIS_URL), PostgresChanges)
        assert postgres_conninfo(db).startswith("postgresql://")
    else:
        assert isinstance(picked, LocalChanges)
        assert isinstance(catalog_changes(db, REDIS_URL), RedisChanges)


async def _heard(listener: CatalogChanges, announce: object) -> int:
    """Start ``listener``, run ``announce`` once it is subscribed; reloads it counted."""
    reloads: list[int] = []
    heard = asyncio.Event()

    async def reload() -> None:
        reloads.append(1)
        if len(reloads) >= 2:  # the first is the catch-up on subscribing
            heard.set()

    await listener.start(reload)
    try:
        assert isinstance(listener, PostgresChanges | RedisChanges)
        await asyncio.wait_for(listener.connected.wait(), 10)
        await announce()  # type: ignore[operator]
        await asyncio.wait_for(heard.wait(), 5)
    finally:
        await listener.close()
    return len(reloads)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # LISTEN/NOTIFY
def test_postgres_notify_in_the_transaction(db: Database) -> None:
    writer = catalog_changes(db, None)

    async def announce() -> None:
        def rolled_back_then_committed() -> None:
            with db.session() as session:
                writer.announce_in(session)
                session.rollback()  # never delivered
            with db.session() as session:
                writer.announce_in(session)
                session.execute(text("SELECT 1"))
                session.commit()

        await asyncio.to_thread(rolled_back_then_committed)

    assert asyncio.run(_heard(catalog_changes(db, None), announce)) == 2


def test_redis_publish_after_the_commit() -> None:
    _require_redis()

    async def main() -> int:
        writer = RedisChanges(REDIS_URL)
        try:
            return await _heard(RedisChanges(REDIS_URL), writer.announced)
        finally:
            await writer.close()

    assert asyncio.run(main()) == 2

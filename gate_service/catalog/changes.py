"""Telling every replica that the catalog changed, so each reloads it within seconds.

An alias chain changed through one replica (or the CLI) must be served by every replica
without a restart, and without each request asking the database whether anything changed.
The writer announces the change; each replica listens and, on an announcement, reloads the
catalog from the database and swaps its snapshot (``Core.reload_catalog``: one reference
assignment, so a request sees the old catalog or the new one, never a mix).

- **PostgreSQL**: ``NOTIFY`` on channel ``spidergate_catalog`` inside the writing
  transaction (PostgreSQL delivers it only if the change commits, and only after), and a
  ``LISTEN`` on a dedicated psycopg 3 connection per replica.
- **Redis** (``--redis-url`` with a SQLite file shared by processes): ``PUBLISH`` after the
  commit, one subscription per replica.
- **Neither** (the embedded single-process default): the writer's own process reloads
  directly; there is nobody else to tell.

A listener reloads once subscribed (a change may have come between the start-up load and
the subscription); one whose connection drops reconnects (backing off up to 5 s) and
reloads again, since announcements sent meanwhile were lost. The periodic refresh
(``refresh_interval_s``) remains the backstop it always was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

import psycopg
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlmodel import Session

from gate_service.storage.database import Database

log = logging.getLogger("spidergate.catalog")

CHANNEL = "spidergate_catalog"
PAYLOAD = "catalog"
MAX_BACKOFF_S = 5.0
# How long a listener waits for an announcement before checking its connection is alive.
KEEPALIVE_S = 30.0

Reload = Callable[[], Awaitable[None]]


class CatalogChanges(Protocol):
    """How a catalog change reaches the other replicas."""

    def announce_in(self, session: Session) -> None:
        """Called inside the writing transaction, before its commit."""

    async def announced(self) -> None:
        """Called once the change is committed."""

    async def start(self, reload: Reload) -> None:
        """Listen for other writers' changes, calling ``reload`` for each."""

    async def close(self) -> None: ...


class LocalChanges:
    """One process: the writer reloads its own snapshot; nothing to announce."""

    name = "local"

    def announce_in(self, session: Session) -> None:
        pass

    async def announced(self) -> None:
        pass

    async def start(self, reload: Reload) -> None:
        pass

    async def close(self) -> None:
        pass


class _Listener:
    """A task that keeps a subscription alive: connect, reload after a reconnect, call
    ``reload`` per announcement, and on any failure back off and start again."""

    name = "listener"

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self.connections = 0

    async def start(self, reload: Reload) -> None:
        self._task = asyncio.create_task(self._run(reload), name=f"catalog-{self.name}")

    async def _run(self, reload: Reload) -> None:
        backoff = 0.1
        while True:
            try:
                await self._listen(reload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "catalog changes (%s): listener lost (%s); reconnecting",
                    self.name,
                    type(exc).__name__,
                )
            self.connected.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _subscribed(self, reload: Reload) -> None:
        """Mark the subscription live and catch up on what it missed: after a reconnect,
        announcements sent while it was down; on the first connect, a change made between
        the start-up load and this subscription."""
        self.connections += 1
        await reload()
        self.connected.set()

    async def _listen(self, reload: Reload) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class PostgresChanges(_Listener):
    """``NOTIFY`` in the writer's transaction, ``LISTEN`` on a connection of our own."""

    name = "postgresql"

    def __init__(self, conninfo: str) -> None:
        super().__init__()
        self._conninfo = conninfo

    def announce_in(self, session: Session) -> None:
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {
                "channel": CHANNEL,
                "payload": PAYLOAD,
            },
        )

    async def announced(self) -> None:
        pass

    async def _listen(self, reload: Reload) -> None:
        conn = await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True, connect_timeout=5
        )
        async with conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            await self._subscribed(reload)
            while True:
                got = False
                async for _ in conn.notifies(timeout=KEEPALIVE_S, stop_after=1):
                    got = True
                if got:
                    await reload()
                else:
                    # Quiet for a while: prove the connection is alive (a dead one
                    # raises here and the listener reconnects).
                    await conn.execute("SELECT 1")


class RedisChanges(_Listener):
    """``PUBLISH`` after the commit, a subscription per replica."""

    name = "redis"

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url
        self._publisher = aioredis.Redis.from_url(url)

    def announce_in(self, session: Session) -> None:
        pass

    async def announced(self) -> None:
        try:
            await self._publisher.publish(CHANNEL, PAYLOAD)
        except Exception as exc:
            # Committed already: other replicas pick it up on their periodic refresh.
            log.warning("catalog changes: publishing to Redis failed (%s)", type(exc).__name__)

    async def _listen(self, reload: Reload) -> None:
        client = aioredis.Redis.from_url(self._url)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(CHANNEL)
            await self._subscribed(reload)
            while True:
                message = await pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=KEEPALIVE_S
                )
                if message is None:
                    await pubsub.ping()
                elif message.get("type") == "message":
                    await reload()
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            with contextlib.suppress(Exception):
                await client.aclose()

    async def close(self) -> None:
        await super().close()
        await self._publisher.aclose()


def postgres_conninfo(db: Database) -> str:
    """The libpq URL of ``db`` (SQLAlchemy's ``postgresql+psycopg`` spelling removed)."""
    return db.url.set(drivername="postgresql").render_as_string(hide_password=False)


def catalog_changes(db: Database, redis_url: str | None) -> CatalogChanges:
    """PostgreSQL's own notifications when the catalog lives there, else Redis when one
    is configured, else this process alone."""
    if db.dialect == "postgresql":
        return PostgresChanges(postgres_conninfo(db))
    if redis_url:
        return RedisChanges(redis_url)
    return LocalChanges()

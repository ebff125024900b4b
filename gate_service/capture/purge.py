"""Deleting captured content past its retention: bounded, and off the request path.

Each pass deletes at most ``batch`` rows whose ``expires_at`` has passed (an index range
scan on ``ix_trace_content_expires``), in its own short transaction, and repeats until a
pass finds fewer: a backlog of millions is worked through in small steps that never hold
a long write lock against the ledger writer. :class:`Purger` runs the passes on a thread
of its own every ``interval_s`` seconds (never the default pool, never the event loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from gate_service.capture.store import CONTENT
from gate_service.storage.database import Database

log = logging.getLogger("spidergate.capture")

DEFAULT_BATCH = 1000


def purge_expired(db: Database, now: datetime, *, batch: int = DEFAULT_BATCH) -> int:
    """Delete every captured content row expired at ``now``, ``batch`` rows per
    transaction; the number deleted."""
    total = 0
    while True:
        with db.engine.begin() as conn:
            ids = (
                conn.execute(select(CONTENT.c.id).where(CONTENT.c.expires_at < now).limit(batch))
                .scalars()
                .all()
            )
            if ids:
                conn.execute(delete(CONTENT).where(CONTENT.c.id.in_(ids)))
        total += len(ids)
        if len(ids) < batch:
            return total


class Purger:
    """Runs :func:`purge_expired` every ``interval_s`` seconds on its own thread."""

    def __init__(
        self,
        db: Database,
        interval_s: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._interval_s = interval_s
        self._clock = clock
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="capture-purge")
        self._task: asyncio.Task[None] | None = None

    async def purge(self) -> int:
        """One purge now, on the purger's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, purge_expired, self._db, self._clock())

    def start(self) -> None:
        if self._interval_s > 0:
            self._task = asyncio.create_task(self._run(), name="capture-purge")

    async def _run(self) -> None:
        while True:
            try:
                deleted = await self.purge()
                if deleted:
                    log.info("purged %d expired captured contents", deleted)
            except SQLAlchemyError as exc:
                log.warning(
                    "purging captured content failed (%s); retrying later", type(exc).__name__
                )
            await asyncio.sleep(self._interval_s)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._executor.shutdown(wait=False)

"""The ledger writer's own thread: database work off the event loop, retried while the
database fails, with warnings rate-limited so an outage logs a line a minute, not a flood.

One thread, not the default pool: the writer's commits never queue behind usage and
traces readers (:mod:`.reads`), and one thread keeps the commits in order. A failing
database is retried with exponential backoff (``retry_initial_s`` doubling up to
``retry_max_s``) for as long as it fails; any other error is the caller's to handle.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from gate_service.ledger.writer_config import WriterConfig

log = logging.getLogger("spidergate.ledger")

T = TypeVar("T")


class WriterThread:
    """Runs the writer's database work on its own thread; see the module docstring."""

    def __init__(self, config: WriterConfig, clock: Callable[[], float]) -> None:
        self._config = config
        self._clock = clock
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="ledger-writer")
        self._warned_at: dict[str, float] = {}

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run on the writer's own thread: never queued behind readers in the default pool."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def retrying(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the writer's thread, retried with backoff while the database
        fails."""
        delay = self._config.retry_initial_s
        failures = 0
        while True:
            try:
                result = await self.run(fn, *args)
            except SQLAlchemyError as exc:
                failures += 1
                self.warn(
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

    def warn(self, kind: str, message: str, *args: object) -> None:
        """Log at most once per ``warn_interval_s`` for each kind of trouble."""
        now = self._clock()
        last = self._warned_at.get(kind)
        if last is None or now - last >= self._config.warn_interval_s:
            self._warned_at[kind] = now
            log.warning(message, *args)

    def shutdown(self) -> None:
        """Let the thread go without waiting (``close`` has already waited for the work)."""
        self._executor.shutdown(wait=False)

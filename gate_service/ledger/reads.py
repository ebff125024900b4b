"""Pacing of ledger reads (``GET /usage``, ``/traces``, ``/traces/{id}``) so they never
take the process away from the requests it serves, nor from the ledger writer.

Why: the core serves chat and reads the ledger in one process, on one core. A read runs in
a thread, but its Python work holds the GIL and its SQL work the CPU; six readers of
``/usage`` in a loop cut chat throughput from 501 to 84 requests/s, and queued the ledger
writer's database calls behind theirs in the shared thread pool (issue 8).

So reads run one at a time, on a thread of their own (never the default pool the writer
or anything else uses), and at most ``share`` of the time: a read that took ``d`` seconds
owes ``d × (1 − share) / share`` of rest, and a read waits while more than ``burst_s`` of
rest is owed. A single read is answered at once, and so are the few reads of one console
page (the Overview's usage report and fallback sample: without the allowance the second
waited 9× the first, ~1.4 s after a 30-day report); readers in a loop are slowed down
instead of the gateway. With the default share of 10 %, readers can cost the chat path
about a tenth of its throughput whatever they ask, after at most ``burst_s × share /
(1 − share)`` (~0.2 s) of reads back to back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_SHARE = 0.1
DEFAULT_BURST_S = 2.0


class ReadGate:
    """Runs ledger queries one at a time on their own thread, at most ``share`` of the time."""

    def __init__(
        self,
        share: float = DEFAULT_SHARE,
        *,
        burst_s: float = DEFAULT_BURST_S,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("share must be in (0, 1]")
        self._rest = (1 - share) / share
        self._burst = burst_s
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._free_at = 0.0
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="ledger-read")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the read thread, once at most ``burst_s`` of the previous reads'
        rest is left to run."""
        async with self._lock:
            wait = self._free_at - self._clock() - self._burst
            if wait > 0:
                await self._sleep(wait)
            started = self._clock()
            try:
                return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)
            finally:
                now = self._clock()
                took = now - started
                # Rest still owed does not run down while a read runs.
                self._free_at = max(self._free_at + took, now) + took * self._rest

    def close(self) -> None:
        self._thread.shutdown(wait=False)

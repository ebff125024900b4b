"""The Redis counter store, shared by every gateway replica.

**Exactness across replicas**: each operation is one Lua script (see
:mod:`gate_service.governance.scripts`), which Redis runs atomically, so the check and the
write of an admission cannot interleave with any other replica's. The clock is the Redis
server's own (``TIME`` inside the script) unless a test injects one, so replicas whose
clocks differ still agree on every window. Reservations carry their expiry inside Redis,
so a replica that dies mid-request frees the budget it held after the reservation TTL.

**Unavailable Redis**: every failure (connection refused, timeout, a confused server) is
raised as :class:`~gate_service.governance.store.StoreUnavailable`; the governor decides
what that means for each control. A dead Redis must not stall requests for long: 1 s
socket and connect timeouts, no client-side retries (a retried script that had already
run would count a request twice), and after a failure the store answers
``StoreUnavailable`` at once for ``retry_after_s`` (1 s) instead of waiting on a timeout
for every request. The timeouts are not tighter on purpose: a failure opens the rate
limits, so a busy host that is slow to open a connection must not read as an outage.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from gate_service.governance import scripts
from gate_service.governance.store import (
    AdmitRequest,
    AdmitResult,
    BudgetSlot,
    BudgetState,
    StoreUnavailable,
    Window,
    WindowState,
)

DEFAULT_PREFIX = "sg:gov:"
DEFAULT_TIMEOUT_S = 1.0
RETRY_AFTER_S = 1.0
# Connections to Redis per process. Each script takes well under a millisecond and Redis
# runs one at a time, so more connections add connection set-up, not throughput.
POOL_SIZE = 16
POOL_WAIT_S = 2.0
_UNAVAILABLE: tuple[type[BaseException], ...] = (RedisError, OSError)


class RedisCounterStore:
    """:class:`~gate_service.governance.store.CounterStore` over an injected client.

    Keys are ``prefix`` + the governor's key (one prefix per deployment, or per test run).
    ``clock`` (epoch seconds) replaces the Redis server's clock, for tests only;
    ``monotonic`` paces the pause after a failure. The store owns the client.
    """

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        clock: Callable[[], float] | None = None,
        retry_after_s: float = RETRY_AFTER_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._clock = clock
        self._retry_after_s = retry_after_s
        self._monotonic = monotonic
        self._paused_until = float("-inf")
        self._admit: AsyncScript = client.register_script(scripts.ADMIT)
        self._settle: AsyncScript = client.register_script(scripts.SETTLE)
        self._seed: AsyncScript = client.register_script(scripts.SEED)
        self._peek: AsyncScript = client.register_script(scripts.PEEK)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Callable[[], float] | None = None,
    ) -> RedisCounterStore:
        """A store on a new client for ``url``; nothing connects until the first call.

        The pool *waits* for a free connection (up to ``POOL_WAIT_S``) rather than failing:
        redis-py's default pool raises "Too many connections" past 100 concurrent
        commands, which would read as an outage and open the rate limits under load.
        """
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=POOL_SIZE,
            timeout=POOL_WAIT_S,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            # redis-py retries with backoff by default: seconds of stall per request
            # against a dead server, where the policy wants a quick answer.
            retry=Retry(NoBackoff(), 0),
        )
        return cls(Redis(connection_pool=pool), prefix=prefix, clock=clock)

    def _now_arg(self) -> str:
        return "" if self._clock is None else str(int(self._clock() * 1000))

    async def _run(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Any:
        if self._monotonic() < self._paused_until:
            raise StoreUnavailable("Redis failed less than a moment ago; not retried yet")
        try:
            return await script(keys=keys, args=args)
        except _UNAVAILABLE as exc:
            self._paused_until = self._monotonic() + self._retry_after_s
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def _budget_keys(self, budgets: Sequence[BudgetSlot]) -> list[str]:
        keys = []
        for slot in budgets:
            keys += [self._prefix + slot.key, self._prefix + slot.key + ":resv"]
        return keys

    async def admit(self, request: AdmitRequest) -> AdmitResult:
        keys = [self._prefix + w.key for w in request.windows]
        keys += self._budget_keys(request.budgets)
        args: list[Any] = [
            self._now_arg(),
            request.member,
            len(request.windows),
            len(request.budgets),
            request.amount_nano,
            request.reservation_ttl_ms,
        ]
        for w in request.windows:
            args += [w.span_ms, w.limit]
        for b in request.budgets:
            args += [b.cap_nano, 1 if b.hard else 0, b.expire_at_ms]
        reply = [int(v) for v in await self._run(self._admit, keys, args)]
        n = len(request.windows)
        pairs = reply[2:]
        return AdmitResult(
            refused_window=reply[0] - 1 if reply[0] else None,
            refused_budget=reply[1] - 1 if reply[1] else None,
            windows=tuple(WindowState(pairs[2 * i], pairs[2 * i + 1]) for i in range(n)),
            budgets=tuple(
                BudgetState(pairs[2 * n + 2 * j], pairs[2 * n + 2 * j + 1])
                for j in range(len(request.budgets))
            ),
        )

    async def peek(self, windows: Sequence[Window]) -> tuple[WindowState, ...]:
        if not windows:
            return ()
        keys = [self._prefix + w.key for w in windows]
        args: list[Any] = [self._now_arg(), *(w.span_ms for w in windows)]
        reply = [int(v) for v in await self._run(self._peek, keys, args)]
        return tuple(WindowState(reply[2 * i], reply[2 * i + 1]) for i in range(len(windows)))

    async def settle(self, budgets: Sequence[BudgetSlot], member: str, actual_nano: int) -> None:
        expiries = (b.expire_at_ms for b in budgets)
        args: list[Any] = [self._now_arg(), member, actual_nano, *expiries]
        await self._run(self._settle, self._budget_keys(budgets), args)

    async def release(self, budgets: Sequence[BudgetSlot], member: str) -> None:
        args: list[Any] = [self._now_arg(), member, "", *(b.expire_at_ms for b in budgets)]
        await self._run(self._settle, self._budget_keys(budgets), args)

    async def seed(self, budget: BudgetSlot, spent_nano: int) -> None:
        keys = [self._prefix + budget.key]
        await self._run(self._seed, keys, [self._now_arg(), spent_nano, budget.expire_at_ms])

    async def close(self) -> None:
        with contextlib.suppress(*_UNAVAILABLE):  # closing a broken connection is not news
            await self._client.aclose(close_connection_pool=True)

"""Fixtures for the governance tests: a controllable clock, principals, and a governor
over each counter store backend (in memory, and Redis at 127.0.0.1:6379 unless
SPIDERGATE_TEST_REDIS_URL says otherwise).

Every behavioural test takes ``backend`` and so runs on both stores. Without Redis the
Redis cases are skipped with a message, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gate_service.auth.principal import BrandControls, Principal, TokenControls
from gate_service.governance import CountingGovernor
from gate_service.governance.ledger import SpendSource
from gate_service.governance.memory import MemoryCounterStore
from gate_service.governance.redis_store import RedisCounterStore
from gate_service.governance.store import CounterStore
from tests.db_backends import database_url, db

__all__ = ["database_url", "db"]

REDIS_URL = os.environ.get("SPIDERGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BACKENDS = ("memory", "redis")
# The stores' timeout on the tests' (healthy) Redis. The production default, 1 s, reads a
# busy machine as an outage: 200 concurrent requests open a pool of connections at once,
# and with the suite on four xdist workers some connects took longer (governance failed
# open, a test saw 75 admissions for an rpm of 60). Outages are tested on a dead address.
REDIS_TIMEOUT_S = 10.0
# A Wednesday in the middle of a billing month (anchor day 1).
T0 = datetime(2026, 11, 18, 12, 0, 0, tzinfo=UTC).timestamp()


@dataclass
class Clock:
    """Epoch seconds that only move when a test says so."""

    now: float = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def set(self, moment: datetime) -> None:
        self.now = moment.timestamp()


@dataclass
class FakeLedger:
    """A :class:`SpendSource` with fixed answers, counting its queries."""

    token: dict[str, float] = field(default_factory=dict)
    brand: dict[str, float] = field(default_factory=dict)
    calls: int = 0
    fail: bool = False

    def spent_usd(
        self, client_id: str, token_id: str | None, since: datetime, until: datetime
    ) -> float:
        self.calls += 1
        if self.fail:
            raise OSError("database is down")
        if token_id is None:
            return self.brand.get(client_id, 0.0)
        return self.token.get(token_id, 0.0)


def principal(
    *,
    client_id: str = "cli_aaaaaaaaaaaaaaaa",
    token_id: str | None = "tok_1",
    rpm: int | None = None,
    rpd: int | None = None,
    budget: float | None = None,
    mode: str = "hard",
    brand_budget: float | None = None,
    brand_mode: str = "hard",
    anchor: int = 1,
) -> Principal:
    """An agent token (or, with ``token_id=None``, a client credential) with controls."""
    return Principal(
        client_id=client_id,
        brand_name="acme",
        kind="agent_token" if token_id else "client_credential",
        token_id=token_id,
        agent_name="agent" if token_id else None,
        scopes=frozenset({"gate:chat"}),
        controls=TokenControls(rpm=rpm, rpd=rpd, budget_usd=budget, budget_mode=mode),
        brand_controls=BrandControls(
            budget_usd=brand_budget, budget_mode=brand_mode, billing_anchor_day=anchor
        ),
    )


async def _redis_or_skip() -> Redis:
    admin = Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
    try:
        await admin.ping()
    except (RedisError, OSError) as exc:
        await admin.aclose()
        message = (
            f"Redis is not reachable at {REDIS_URL} ({type(exc).__name__}: {exc}); start a "
            "Redis server there (or set SPIDERGATE_TEST_REDIS_URL) to run the Redis "
            "counter store tests"
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return admin


MakeGovernor = Callable[..., CountingGovernor]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def make_governor(backend: str, clock: Clock) -> AsyncIterator[MakeGovernor]:
    """``make_governor(spend=None, clock=<the test clock>, **kwargs)``: a governor over a
    fresh store of this backend. Redis stores made by one test share one key prefix (so
    two of them act as two replicas); its keys are deleted afterwards. ``clock=None``
    uses the real clocks (for Redis: the server's)."""
    made: list[CountingGovernor] = []
    admin: Redis | None = None
    prefix = f"sg:test:gov:{uuid.uuid4().hex}:"
    if backend == "redis":
        admin = await _redis_or_skip()

    def make(
        spend: SpendSource | None = None, clock: Clock | None = clock, **kwargs: Any
    ) -> CountingGovernor:
        store: CounterStore
        if backend == "redis":
            store = RedisCounterStore.from_url(
                REDIS_URL, prefix=prefix, clock=clock, timeout_s=REDIS_TIMEOUT_S
            )
        else:
            store = MemoryCounterStore(clock) if clock else MemoryCounterStore()
        if clock is not None:
            kwargs.setdefault("clock", clock)
        governor = CountingGovernor(store, spend, **kwargs)
        made.append(governor)
        return governor

    try:
        yield make
    finally:
        for governor in made:
            await governor.close()
        if admin is not None:
            keys = [k async for k in admin.scan_iter(match=prefix + "*", count=1000)]
            if keys:
                await admin.delete(*keys)
            await admin.aclose()

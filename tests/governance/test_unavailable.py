"""The policy when the counter store or the ledger cannot answer: hard budgets fail
closed (503), rate limits and soft budgets fail open, one warning per interval."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Sequence

import pytest

from gate_service.errors import GateError
from gate_service.governance import CountingGovernor
from gate_service.governance.memory import MemoryCounterStore
from gate_service.governance.redis_store import RedisCounterStore
from gate_service.governance.store import (
    AdmitRequest,
    AdmitResult,
    BudgetSlot,
    StoreUnavailable,
    Window,
    WindowState,
)
from tests.governance.conftest import FakeLedger, principal

CLOSED_PORT_URL = "redis://127.0.0.1:1/0"
LOGGER = "spidergate.governance"


@pytest.fixture
async def down() -> AsyncIterator[CountingGovernor]:
    """A governor whose Redis is a closed port."""
    governor = CountingGovernor(RedisCounterStore.from_url(CLOSED_PORT_URL), None)
    yield governor
    await governor.close()


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


async def test_rate_limits_fail_open(
    down: CountingGovernor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    who = principal(rpm=1)
    started = time.monotonic()
    for _ in range(20):
        admission = await down.admit(who, 0.5)
        assert admission.headers == {}  # nothing to count with: no rate headers
        await down.settle(admission, 0.5)
    assert time.monotonic() - started < 2  # a closed port does not stall requests
    [warning] = _warnings(caplog)  # one warning, not twenty
    assert "rate limits are NOT enforced (fail open)" in warning.getMessage()
    assert "hard budget get 503 (fail closed)" in warning.getMessage()


async def test_hard_budgets_fail_closed(down: CountingGovernor) -> None:
    for who in (principal(budget=10.0), principal(token_id=None, brand_budget=10.0)):
        with pytest.raises(GateError) as caught:
            await down.admit(who, 0.001)
        assert caught.value.code == "service_unavailable"
        assert caught.value.http_status == 503
        assert caught.value.message.startswith("Budget store unavailable")
        assert caught.value.headers == {"Retry-After": "1"}


async def test_soft_budgets_fail_open(down: CountingGovernor) -> None:
    admission = await down.admit(principal(budget=0.0, mode="soft", rpm=1), 1.0)
    assert admission.headers == {}


class FlakyStore(MemoryCounterStore):
    """A memory store that can be switched off."""

    def __init__(self) -> None:
        super().__init__()
        self.up = True

    def _check(self) -> None:
        if not self.up:
            raise StoreUnavailable("switched off")

    async def admit(self, request: AdmitRequest) -> AdmitResult:
        self._check()
        return await super().admit(request)

    async def peek(self, windows: Sequence[Window]) -> tuple[WindowState, ...]:
        self._check()
        return await super().peek(windows)

    async def settle(self, budgets: Sequence[BudgetSlot], member: str, actual_nano: int) -> None:
        self._check()
        await super().settle(budgets, member, actual_nano)

    async def release(self, budgets: Sequence[BudgetSlot], member: str) -> None:
        self._check()
        await super().release(budgets, member)


async def test_settles_held_back_by_an_outage_are_replayed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    store = FlakyStore()
    governor = CountingGovernor(store, None)
    who = principal(budget=0.01)
    first = await governor.admit(who, 0.004)
    second = await governor.admit(who, 0.004)
    store.up = False
    await governor.settle(first, 0.006)  # never raises, even now
    await governor.release(second)
    with pytest.raises(GateError):
        await governor.admit(who, 0.001)
    store.up = True
    with pytest.raises(GateError) as caught:
        await governor.admit(who, 0.005)  # the 0.006 spent was not lost
    assert "$0.006 spent and $0.00 reserved" in caught.value.message
    await governor.admit(who, 0.004)
    assert any("reachable again" in r.getMessage() for r in caplog.records)


async def test_an_unreadable_ledger(caplog: pytest.LogCaptureFixture) -> None:
    """Never seeded and the database is down: hard budgets 503, soft ones go through. A
    counter seeded before keeps working when a later resync fails."""
    caplog.set_level(logging.WARNING, LOGGER)
    ledger = FakeLedger(fail=True)
    now = [0.0]
    governor = CountingGovernor(
        MemoryCounterStore(), ledger, resync_interval_s=60, monotonic=lambda: now[0]
    )
    with pytest.raises(GateError) as caught:
        await governor.admit(principal(budget=1.0), 0.001)
    assert caught.value.code == "service_unavailable"
    await governor.admit(principal(budget=1.0, mode="soft"), 0.001)
    assert "Spend ledger (database) unavailable" in _warnings(caplog)[0].getMessage()

    ledger.fail = False
    await governor.admit(principal(token_id="tok_2", budget=1.0), 0.001)
    ledger.fail = True
    now[0] = 120.0  # a resync is due, and fails
    await governor.admit(principal(token_id="tok_2", budget=1.0), 0.001)


async def test_peek_reports_nothing_while_the_store_is_down(
    down: CountingGovernor, caplog: pytest.LogCaptureFixture
) -> None:
    """Rate limits fail open, so there is no true count to report: no headers, no error."""
    caplog.set_level(logging.INFO, LOGGER)
    for _ in range(5):
        assert await down.peek(principal(rpm=1)) == {}
    [warning] = _warnings(caplog)
    assert "rate limits are NOT enforced" in warning.getMessage()

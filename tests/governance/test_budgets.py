"""Budgets on both counter stores: reserve, settle, release, expiry, soft and hard,
token and brand, billing periods and seeding from the ledger."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from gate_service.errors import GateError
from gate_service.governance import Admission
from tests.governance.conftest import Clock, FakeLedger, MakeGovernor, principal

pytestmark = pytest.mark.usefixtures("backend")


async def _refused(coro: object) -> GateError:
    with pytest.raises(GateError) as caught:
        await coro  # type: ignore[misc]
    return caught.value


async def test_concurrent_reservations_never_exceed_the_cap(make_governor: MakeGovernor) -> None:
    governor = make_governor(clock=None)
    who = principal(budget=0.01)
    results = await asyncio.gather(
        *(governor.admit(who, 0.001) for _ in range(200)), return_exceptions=True
    )
    admitted = [r for r in results if isinstance(r, Admission)]
    refused = [r for r in results if isinstance(r, GateError)]
    assert len(admitted) == 10  # integer nano-dollars: ten times $0.001 is exactly $0.01
    assert len(refused) == 190 and {e.code for e in refused} == {"budget_exceeded"}
    assert {e.http_status for e in refused} == {402}


async def test_reserve_settle_release(make_governor: MakeGovernor) -> None:
    governor = make_governor()
    who = principal(budget=0.01)
    a = await governor.admit(who, 0.004)
    b = await governor.admit(who, 0.004)
    error = await _refused(governor.admit(who, 0.004))  # 0.008 reserved + 0.004 > 0.01
    assert error.message == (
        "Budget exceeded: the token's hard monthly budget is $0.01; $0.00 spent and "
        "$0.008 reserved by requests in flight this period, and this request may cost up "
        "to $0.004."
    )
    await governor.settle(a, 0.001)  # spent 0.001, reserved 0.004
    c = await governor.admit(who, 0.004)  # 0.009
    await _refused(governor.admit(who, 0.002))
    await governor.release(b)  # reserved 0.004 (c)
    d = await governor.admit(who, 0.005)  # 0.001 + 0.004 + 0.005 = 0.01: fits exactly
    error = await _refused(governor.admit(who, 0.000000001))
    assert "$0.001 spent and $0.009 reserved" in error.message
    await governor.settle(c, 0.0)
    await governor.settle(d, 0.006)  # a request may cost more than its estimate
    await governor.settle(d, 1.0)  # settling twice is a no-op
    await governor.release(d)
    error = await _refused(governor.admit(who, 0.004))
    assert "$0.007 spent and $0.00 reserved" in error.message


async def test_reservations_expire(make_governor: MakeGovernor, clock: Clock) -> None:
    """A replica that died mid-request holds its reservation for the TTL at most."""
    governor = make_governor(reservation_ttl_s=10)
    who = principal(budget=0.01)
    lost = await governor.admit(who, 0.01)
    clock.advance(9.999)
    await _refused(governor.admit(who, 0.001))
    clock.advance(0.001)
    await governor.admit(who, 0.001)
    # A settle arriving after its reservation expired still counts the real cost.
    await governor.settle(lost, 0.005)
    error = await _refused(governor.admit(who, 0.005))
    assert "$0.005 spent and $0.001 reserved" in error.message


async def test_soft_budget_warns_and_lets_through(make_governor: MakeGovernor) -> None:
    governor = make_governor()
    who = principal(budget=0.01, mode="soft")
    first = await governor.admit(who, 0.006)
    assert "X-SpiderGate-Budget-Warning" not in first.headers
    await governor.settle(first, 0.006)
    second = await governor.admit(who, 0.006)  # 0.012 committed: over, but soft
    assert second.headers["X-SpiderGate-Budget-Warning"] == (
        "token soft budget exceeded: $0.006 spent of $0.01 this period"
    )
    await governor.settle(second, 0.006)
    third = await governor.admit(who, 0.0)
    assert "$0.012 spent of $0.01" in third.headers["X-SpiderGate-Budget-Warning"]


async def test_brand_budget_is_independent_of_token_budgets(make_governor: MakeGovernor) -> None:
    governor = make_governor()
    capped = principal(token_id="tok_capped", budget=0.01, brand_budget=0.015)
    free = principal(token_id="tok_free", brand_budget=0.015)
    credential = principal(token_id=None, brand_budget=0.015)
    await governor.settle(await governor.admit(capped, 0.01), 0.01)
    error = await _refused(governor.admit(capped, 0.001))
    assert "the token's hard monthly budget is $0.01" in error.message
    # The brand has $0.005 left, for its other tokens and its client credentials.
    await governor.settle(await governor.admit(free, 0.003), 0.003)
    await governor.settle(await governor.admit(credential, 0.002), 0.002)
    for who in (free, credential):
        error = await _refused(governor.admit(who, 0.000001))
        assert "the brand's hard monthly budget is $0.015" in error.message
        assert "$0.015 spent" in error.message


async def test_soft_token_budget_under_a_hard_brand_budget(make_governor: MakeGovernor) -> None:
    governor = make_governor()
    who = principal(budget=0.001, mode="soft", brand_budget=0.01)
    admission = await governor.admit(who, 0.002)
    assert admission.headers["X-SpiderGate-Budget-Warning"].startswith("token soft budget")
    await governor.settle(admission, 0.002)
    await _refused(governor.admit(who, 0.009))  # the brand's cap is hard


async def test_budgets_reset_on_the_anchor_day(make_governor: MakeGovernor, clock: Clock) -> None:
    governor = make_governor()
    who = principal(budget=0.01, brand_budget=0.02, anchor=15)
    clock.set(datetime(2026, 11, 14, 23, 59, 59, tzinfo=UTC))
    await governor.settle(await governor.admit(who, 0.01), 0.01)
    await _refused(governor.admit(who, 0.001))
    clock.set(datetime(2026, 11, 15, 0, 0, 0, tzinfo=UTC))  # a new period
    await governor.settle(await governor.admit(who, 0.01), 0.01)
    await _refused(governor.admit(who, 0.001))
    clock.set(datetime(2026, 12, 14, 23, 59, 59, tzinfo=UTC))  # still that period
    await _refused(governor.admit(who, 0.001))
    clock.set(datetime(2026, 12, 15, tzinfo=UTC))
    await governor.admit(who, 0.001)


async def test_spend_is_seeded_from_the_ledger_once(make_governor: MakeGovernor) -> None:
    ledger = FakeLedger(token={"tok_1": 0.009}, brand={"cli_aaaaaaaaaaaaaaaa": 0.5})
    governor = make_governor(spend=ledger)
    who = principal(budget=0.01, brand_budget=1.0)
    results = await asyncio.gather(
        *(governor.admit(who, 0.001) for _ in range(50)), return_exceptions=True
    )
    assert sum(isinstance(r, Admission) for r in results) == 1  # 0.009 already spent
    assert ledger.calls == 2  # one query per counter, shared by the 50 requests
    error = next(r for r in results if isinstance(r, GateError))
    assert "$0.009 spent and $0.001 reserved" in error.message


async def test_a_restart_keeps_the_spend(make_governor: MakeGovernor) -> None:
    """A new governor (a restarted replica) seeds from the ledger; the counter never goes
    down to a ledger that lags behind it."""
    ledger = FakeLedger()
    first = make_governor(spend=ledger)
    who = principal(budget=0.01)
    await first.settle(await first.admit(who, 0.004), 0.004)
    ledger.token["tok_1"] = 0.003  # the ledger is written behind: it lags
    second = make_governor(spend=ledger)
    error = await _refused(second.admit(who, 0.0075))
    # Redis kept 0.004; an in-memory store restarted from the ledger's 0.003.
    assert "$0.004 spent" in error.message or "$0.003 spent" in error.message


async def test_counters_resync_with_the_ledger(make_governor: MakeGovernor, clock: Clock) -> None:
    ledger = FakeLedger()
    governor = make_governor(spend=ledger, monotonic=clock, resync_interval_s=60)
    who = principal(budget=0.01)
    await governor.admit(who, 0.0)
    ledger.token["tok_1"] = 0.01  # spent through another path the counter did not see
    await governor.admit(who, 0.0)
    assert ledger.calls == 1
    clock.advance(60)
    await _refused(governor.admit(who, 0.001))
    assert ledger.calls == 2

"""Request limits on both counter stores: exact under concurrency, sliding windows."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from gate_service.errors import GateError
from gate_service.governance import Admission, CountingGovernor
from tests.governance.conftest import Clock, MakeGovernor, principal

pytestmark = pytest.mark.usefixtures("backend")


async def _burst(governor: CountingGovernor, n: int, **controls: object) -> list[object]:
    who = principal(**controls)  # type: ignore[arg-type]
    return await asyncio.gather(
        *(governor.admit(who, 0.0) for _ in range(n)), return_exceptions=True
    )


def _split(results: Sequence[object]) -> tuple[list[Admission], list[GateError]]:
    admitted = [r for r in results if isinstance(r, Admission)]
    refused = [r for r in results if isinstance(r, GateError)]
    assert len(admitted) + len(refused) == len(results), results
    return admitted, refused


async def test_exactly_the_limit_passes_200_concurrent_requests(
    make_governor: MakeGovernor,
) -> None:
    governor = make_governor(clock=None)  # real clocks; Redis uses its own
    admitted, refused = _split(await _burst(governor, 200, rpm=60))
    assert len(admitted) == 60
    assert len(refused) == 140
    assert {e.code for e in refused} == {"rate_limit_exceeded"}
    assert sorted(int(a.headers["X-RateLimit-Remaining-Requests"]) for a in admitted) == list(
        range(60)
    )


@pytest.mark.parametrize("backend", ["redis"], indirect=True)  # sharing is Redis's job
async def test_exact_with_two_replicas_sharing_the_store(make_governor: MakeGovernor) -> None:
    a, b = make_governor(clock=None), make_governor(clock=None)
    who = principal(rpm=60, rpd=100)
    results = await asyncio.gather(
        *(g.admit(who, 0.0) for _ in range(100) for g in (a, b)), return_exceptions=True
    )
    admitted, refused = _split(results)
    assert len(admitted) == 60 and len(refused) == 140


async def test_the_window_slides(make_governor: MakeGovernor, clock: Clock) -> None:
    governor = make_governor()
    who = principal(rpm=3)
    await governor.admit(who, 0)  # t=0
    clock.advance(30)
    await governor.admit(who, 0)  # t=30
    second = await governor.admit(who, 0)  # t=30
    assert second.headers == {
        "X-RateLimit-Limit-Requests": "3",
        "X-RateLimit-Remaining-Requests": "0",
        "X-RateLimit-Reset": "30",
    }
    clock.advance(29.999)  # t=59.999: the first request is still in the window
    with pytest.raises(GateError) as caught:
        await governor.admit(who, 0)
    error = caught.value
    assert error.code == "rate_limit_exceeded" and error.http_status == 429
    assert error.message.startswith("Rate limit exceeded: 4/3 requests per minute")
    assert error.headers == {
        "X-RateLimit-Limit-Requests": "3",
        "X-RateLimit-Remaining-Requests": "0",
        "X-RateLimit-Reset": "1",
        "Retry-After": "1",
    }
    clock.advance(0.001)  # t=60: the first one left, exactly one slot is free
    await governor.admit(who, 0)
    with pytest.raises(GateError):
        await governor.admit(who, 0)
    clock.advance(30)  # t=90: the two of t=30 left
    await governor.admit(who, 0)
    await governor.admit(who, 0)
    with pytest.raises(GateError) as caught:
        await governor.admit(who, 0)
    assert caught.value.headers["Retry-After"] == "30"  # the one of t=60 leaves at t=120


async def test_no_61_in_any_60_seconds(make_governor: MakeGovernor, clock: Clock) -> None:
    """A request every 0.25 s for three minutes: every 60 s span holds at most 60."""
    governor = make_governor()
    who = principal(rpm=60)
    times: list[float] = []
    for _ in range(720):
        try:
            await governor.admit(who, 0)
            times.append(clock.now)
        except GateError:
            pass
        clock.advance(0.25)
    assert len(times) == 180  # 60 per minute, no less
    for i, start in enumerate(times):
        assert sum(1 for t in times[i:] if t < start + 60) <= 60


async def test_the_day_window(make_governor: MakeGovernor, clock: Clock) -> None:
    governor = make_governor()
    who = principal(rpd=2)
    first = await governor.admit(who, 0)
    assert first.headers["X-RateLimit-Limit-Requests"] == "2"
    assert first.headers["X-RateLimit-Reset"] == "86400"
    clock.advance(3600)
    await governor.admit(who, 0)
    clock.advance(86_400 - 3600 - 1)  # one second before the first leaves
    with pytest.raises(GateError) as caught:
        await governor.admit(who, 0)
    assert caught.value.code == "daily_rate_limit_exceeded"
    assert caught.value.message.startswith("Daily rate limit exceeded: 3/2 requests per day")
    assert caught.value.headers["Retry-After"] == "1"
    clock.advance(1)
    await governor.admit(who, 0)


async def test_a_refusal_consumes_nothing(make_governor: MakeGovernor, clock: Clock) -> None:
    """Refused by the minute window: no day slot used; refused by a budget: no slots."""
    governor = make_governor()
    who = principal(rpm=2, rpd=3)
    await governor.admit(who, 0)
    await governor.admit(who, 0)
    with pytest.raises(GateError):
        await governor.admit(who, 0)  # minute full; must not count for the day
    clock.advance(60)
    await governor.admit(who, 0)  # the day's third
    with pytest.raises(GateError) as caught:
        await governor.admit(who, 0)
    assert caught.value.code == "daily_rate_limit_exceeded"

    budgeted = principal(token_id="tok_2", rpm=2, budget=0.001)
    await governor.admit(budgeted, 0.001)
    with pytest.raises(GateError) as caught:
        await governor.admit(budgeted, 0.001)
    assert caught.value.code == "budget_exceeded"
    last = await governor.admit(budgeted, 0.0)  # the 402 did not use the second slot
    assert last.headers["X-RateLimit-Remaining-Requests"] == "0"


async def test_headers_follow_the_tighter_window(make_governor: MakeGovernor, clock: Clock) -> None:
    governor = make_governor()
    who = principal(rpm=10, rpd=3)
    admission = await governor.admit(who, 0)
    assert admission.headers["X-RateLimit-Limit-Requests"] == "3"
    assert admission.headers["X-RateLimit-Remaining-Requests"] == "2"


async def test_tokens_are_counted_apart(make_governor: MakeGovernor) -> None:
    governor = make_governor()
    await governor.admit(principal(token_id="tok_a", rpm=1), 0)
    await governor.admit(principal(token_id="tok_b", rpm=1), 0)
    with pytest.raises(GateError):
        await governor.admit(principal(token_id="tok_a", rpm=1), 0)


async def test_no_controls_no_headers(make_governor: MakeGovernor) -> None:
    governor = make_governor()
    assert (await governor.admit(principal(), 1.0)).headers == {}
    credential = principal(token_id=None, rpm=1)  # client credentials have no token limits
    for _ in range(3):
        assert (await governor.admit(credential, 1.0)).headers == {}


async def test_peek_reports_the_windows_without_counting(
    make_governor: MakeGovernor, clock: Clock
) -> None:
    """What every authenticated non-chat answer carries: the limits as they stand."""
    governor = make_governor()
    who = principal(rpm=3)
    fresh = {
        "X-RateLimit-Limit-Requests": "3",
        "X-RateLimit-Remaining-Requests": "3",
        "X-RateLimit-Reset": "60",
    }
    assert await governor.peek(who) == fresh  # nothing logged yet: a whole window
    await governor.admit(who, 0)  # t=0
    clock.advance(20)
    await governor.admit(who, 0)  # t=20
    for _ in range(5):  # peeks never use a slot
        assert await governor.peek(who) == {
            "X-RateLimit-Limit-Requests": "3",
            "X-RateLimit-Remaining-Requests": "1",
            "X-RateLimit-Reset": "40",  # the request of t=0 leaves at t=60
        }
    last = await governor.admit(who, 0)
    assert last.headers["X-RateLimit-Remaining-Requests"] == "0"
    assert (await governor.peek(who))["X-RateLimit-Remaining-Requests"] == "0"
    clock.advance(40)  # t=60: the first left the window (as admit sees it too)
    assert (await governor.peek(who))["X-RateLimit-Remaining-Requests"] == "1"
    assert (await governor.peek(who))["X-RateLimit-Reset"] == "20"
    await governor.admit(who, 0)
    clock.advance(60)  # all gone
    assert await governor.peek(who) == fresh


async def test_peek_follows_the_tighter_window_and_skips_credentials(
    make_governor: MakeGovernor,
) -> None:
    governor = make_governor()
    who = principal(rpm=10, rpd=2)
    await governor.admit(who, 0)
    assert await governor.peek(who) == {
        "X-RateLimit-Limit-Requests": "2",
        "X-RateLimit-Remaining-Requests": "1",
        "X-RateLimit-Reset": "86400",
    }
    assert await governor.peek(principal()) == {}  # no limits, nothing to report
    assert await governor.peek(principal(token_id=None, rpm=1)) == {}

"""The shared key state (routing/keystates.py over routing/keystate_redis.py): two
``KeyStates`` on one Redis prefix act as two replicas, each with its own book and one
injected clock, so the health book's rules are checked across processes without waiting.
Also: the embedded default is the book alone, and an unreachable Redis falls back to the
book with one warning a minute."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from gate_service.providers.base import FailureKind, UpstreamFailure
from gate_service.routing.health import HealthBook, Limits
from gate_service.routing.keys import UsableKey
from gate_service.routing.keystate_redis import RedisKeyStore
from gate_service.routing.keystates import KeyStates, Refused, Ticket, rules_of
from tests.governance.conftest import REDIS_URL, _redis_or_skip

EPOCH = 1_800_000_000.0
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"
NONE = Limits()


class Clock:
    """The books' monotonic clock; Redis sees the same instant as epoch seconds."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def epoch(self) -> float:
        return EPOCH + self.now


def usable(key_id: str = "k", limits: Limits = NONE, source: str = "vault") -> UsableKey:
    return UsableKey(key_id, "groq", None, key_id, None, source, limits=limits)


def fail(kind: FailureKind, status: int, retry_after: float | None = None) -> UpstreamFailure:
    return UpstreamFailure(kind, status, "x", retry_after)


SERVER = fail(FailureKind.SERVER, 500)
Replica = Callable[..., KeyStates]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def replica(clock: Clock) -> AsyncIterator[Replica]:
    """``replica()``: a KeyStates with its own book over this test's Redis prefix."""
    admin = await _redis_or_skip()
    prefix = f"sg:test:keys:{uuid.uuid4().hex}:"
    made: list[KeyStates] = []

    def make(**kwargs: Any) -> KeyStates:
        book = HealthBook(clock=clock, wall_clock=clock.epoch)
        # The scripts take the test's clock instead of the server's TIME.
        store = RedisKeyStore.from_url(REDIS_URL, rules_of(book), prefix=prefix, clock=clock.epoch)
        states = KeyStates(book, store, wall_clock=clock.epoch, **kwargs)
        made.append(states)
        return states

    try:
        yield make
    finally:
        for states in made:
            await states.close()
        keys = [k async for k in admin.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await admin.delete(*keys)
        await admin.aclose()


async def reserve(states: KeyStates, key_id: str = "k", limits: Limits = NONE) -> Ticket:
    ticket = await states.reserve(usable(key_id, limits), "groq", "m")
    assert isinstance(ticket, Ticket), ticket
    return ticket


async def refused(states: KeyStates, key_id: str = "k", limits: Limits = NONE) -> str:
    verdict = await states.reserve(usable(key_id, limits), "groq", "m")
    assert isinstance(verdict, Refused), verdict
    return verdict.reason


async def settle(states: KeyStates) -> None:
    """Let the background writes (successes, released probes) reach Redis."""
    for _ in range(50):
        if not states._tasks:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("background writes did not finish")


async def outage(states: KeyStates, clock: Clock, key_id: str = "k") -> None:
    ticket = await reserve(states, key_id)
    clock.now += 0.05
    await states.failed(key_id, SERVER, "groq", "m", ticket)
    clock.now += 1.0


async def test_embedded_default_is_the_book_alone() -> None:
    book = HealthBook()
    states = KeyStates(book)
    ticket = await states.reserve(usable(limits=Limits(rpm=1)), "groq", "m")
    assert isinstance(ticket, Ticket) and ticket.shared is None
    assert not book.available("k", Limits(rpm=1))  # counted in the book, as before


async def test_a_401_on_one_replica_is_known_to_the_other(replica: Replica, clock: Clock) -> None:
    stored: list[str] = []

    async def keep(key_id: str) -> None:
        stored.append(key_id)

    a, b = replica(on_invalid=keep), replica()
    ticket = await reserve(a)
    await a.failed("k", fail(FailureKind.AUTH, 401), "groq", "m", ticket)
    assert await refused(b) == "invalid"
    assert not b.book.available("k", NONE)  # b's book learnt it: not asked again
    assert b.book.skip_reason("k") == "invalid"
    await settle(a)
    assert stored == ["k"]  # and kept in the database, for restarts
    await b.forget("k")  # edited: a fresh chance everywhere
    await reserve(a)


async def test_a_429_rests_the_key_everywhere_for_its_retry_after(
    replica: Replica, clock: Clock
) -> None:
    a, b = replica(), replica()
    ticket = await reserve(a)
    await a.failed("k", fail(FailureKind.RATE_LIMITED, 429, 5.0), "groq", "m", ticket)
    clock.now += 4.9
    assert await refused(b) == "cooldown"
    assert b.book.skip_reason("k") == "cooldown"
    clock.now += 0.2
    await reserve(b)


async def test_a_404_cools_the_model_everywhere(replica: Replica, clock: Clock) -> None:
    a, b = replica(), replica()
    ticket = await reserve(a)
    await a.failed("k", fail(FailureKind.MODEL_NOT_FOUND, 404), "groq", "m", ticket)
    assert await refused(b, "other-key") == "model_cooldown"
    assert not b.book.model_available("groq", "m")
    clock.now += 60.1
    assert b.book.model_available("groq", "m")
    await reserve(b, "other-key")


async def test_rpm_is_exact_across_replicas_under_concurrency(replica: Replica) -> None:
    a, b = replica(), replica()
    limits = Limits(rpm=30, rpd=45)
    verdicts = await asyncio.gather(
        *(s.reserve(usable(limits=limits), "groq", "m") for s in [a, b] * 30)
    )
    assert sum(isinstance(v, Ticket) for v in verdicts) == 30
    assert {v.reason for v in verdicts if isinstance(v, Refused)} == {"no_headroom"}
    assert not a.book.available("k", limits) and not b.book.available("k", limits)


async def test_the_minute_window_slides_and_the_day_holds(replica: Replica, clock: Clock) -> None:
    a, b = replica(), replica()
    limits = Limits(rpm=2, rpd=3)
    await reserve(a, limits=limits)
    clock.now += 30
    await reserve(b, limits=limits)
    assert await refused(a, limits=limits) == "no_headroom"
    clock.now += 30.1  # the first left the minute
    await reserve(a, limits=limits)
    clock.now += 61
    assert await refused(b, limits=limits) == "no_headroom"  # 3 today


async def test_outages_quarantine_once_across_replicas_and_one_probe_runs(
    replica: Replica, clock: Clock
) -> None:
    a, b = replica(), replica()
    # Two replicas fail the same burst: one outage, not two.
    ta, tb = await reserve(a), await reserve(b)
    clock.now += 0.05
    await a.failed("k", SERVER, "groq", "m", ta)
    await b.failed("k", SERVER, "groq", "m", tb)
    assert a.book.key("k").failures == 1 and b.book.key("k").failures == 1
    clock.now += 1.0
    await outage(b, clock)
    await outage(a, clock)
    assert a.book.key("k").failures == 3
    assert await refused(b) == "unhealthy"  # quarantined for 5 s, on both
    assert b.book.key("k").failures == 3  # b's book learnt it from the refusal
    clock.now += 5.0
    probe = await reserve(a)  # half-open: a's request is the probe
    assert await refused(b) == "probing"
    a.succeeded("k", {}, probe)
    await settle(a)
    await reserve(b)  # restored everywhere
    assert b.book.key("k").failures == 0


async def test_a_released_probe_frees_the_slot_everywhere(replica: Replica, clock: Clock) -> None:
    a, b = replica(), replica()
    for _ in range(3):
        await outage(a, clock)
    clock.now += 5.0
    probe = await reserve(a)
    assert await refused(b) == "probing"
    a.released("k", probe)
    await settle(a)
    await reserve(b)  # b's request is the probe now


async def test_the_quota_a_provider_reports_is_shared(replica: Replica, clock: Clock) -> None:
    a, b = replica(), replica()
    ticket = await reserve(a)
    headers = {"x-ratelimit-remaining-requests": "1", "x-ratelimit-limit-requests": "100"}
    a.succeeded("k", headers, ticket)
    await settle(a)
    await reserve(b)  # the last request the provider allows
    assert await refused(a) == "no_headroom"
    clock.now += 60.1  # its reset (none given: 60 s)
    await reserve(a)


async def test_unreachable_redis_falls_back_to_the_book_and_warns_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "spidergate.routing")
    book = HealthBook()
    states = KeyStates(book, RedisKeyStore.from_url(CLOSED_PORT_URL, rules_of(book)))
    try:
        limits = Limits(rpm=3)
        verdicts = [await states.reserve(usable(limits=limits), "groq", "m") for _ in range(5)]
        # The book's own count holds the key's limit meanwhile (per replica).
        assert [isinstance(v, Ticket) for v in verdicts[:3]] == [True] * 3
        assert not book.available("k", limits)
        ticket = verdicts[0]
        assert isinstance(ticket, Ticket)
        await states.failed("k", fail(FailureKind.AUTH, 401), "groq", "m", ticket)
        assert book.skip_reason("k") == "invalid"
    finally:
        await states.close()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "Shared key state (Redis) unavailable" in warnings[0].getMessage()
    assert "own memory" in warnings[0].getMessage()


async def test_demo_keys_stay_in_their_process(replica: Replica) -> None:
    a, b = replica(), replica()
    demo = usable("demo:groq", source="demo")
    ticket = await a.reserve(demo, "groq", "m")
    assert isinstance(ticket, Ticket) and ticket.shared is None
    await a.failed("demo:groq", fail(FailureKind.AUTH, 401), "groq", "m", ticket)
    assert not a.book.available("demo:groq", NONE)
    assert isinstance(await b.reserve(demo, "groq", "m"), Ticket)  # another deployment's

"""Key health states (outages counted once, quarantine, the half-open probe) and
account-aware key choice, with an injected clock."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from gate_service.providers.base import FailureKind, UpstreamFailure
from gate_service.routing.health import HealthBook, Limits
from gate_service.routing.keys import UsableKey, order_keys


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def key(id_: str, *, brand: str | None = None, **kw: Any) -> UsableKey:
    return UsableKey(
        id=id_, provider="groq", client_id=brand, preview=id_, base_url=None, source="vault", **kw
    )


def fail(kind: FailureKind, status: int, retry_after: float | None = None) -> UpstreamFailure:
    return UpstreamFailure(kind, status, "x", retry_after)


def book() -> tuple[HealthBook, Clock]:
    clock = Clock()
    return HealthBook(clock=clock, wall_clock=lambda: 1_800_000_000.0), clock


SERVER = fail(FailureKind.SERVER, 500)


def outage(b: HealthBook, clock: Clock, key_id: str = "k") -> None:
    """One request sent, failing 50 ms later; then the clock moves past the window."""
    ticket = b.sent(key_id)
    clock.now += 0.05
    b.failed(key_id, SERVER, "groq", "m", sent_at=ticket)
    clock.now += b.outage_window_s


def quarantine(b: HealthBook, clock: Clock, key_id: str = "k") -> None:
    for _ in range(3):
        outage(b, clock, key_id)
    assert b.key(key_id).state(clock.now) == "unhealthy"


def test_defaults_are_the_documented_numbers() -> None:
    b = HealthBook()
    assert (b.quarantine_s, b.max_quarantine_s, b.outage_window_s) == (5.0, 30.0, 1.0)
    assert (b.probe_hold_s, b.degraded_s, b.model_cooldown_s) == (10.0, 5.0, 60.0)
    with pytest.raises(ValueError):
        HealthBook(outage_window_s=5.0, quarantine_s=5.0)


@pytest.mark.parametrize(
    "kind",
    [FailureKind.SERVER, FailureKind.TIMEOUT, FailureKind.CONNECTION, FailureKind.PROTOCOL],
)
def test_concurrent_failures_of_one_outage_count_once(kind: FailureKind) -> None:
    """Ten requests in flight together, all failing within 50 ms: one outage."""
    b, clock = book()
    tickets = [b.sent("k") for _ in range(10)]
    clock.now += 0.03
    for ticket in tickets:
        b.failed("k", fail(kind, 502), "groq", "m", sent_at=ticket)
        clock.now += 0.002
    s = b.key("k")
    assert s.failures == 1 and s.state(clock.now) == "degraded"
    assert b.available("k", Limits()) and s.last_error == f"{kind.value} (502)"


def test_slow_failures_of_requests_already_in_flight_count_once() -> None:
    """Timeouts of requests sent over 3 s, reported over 3 s (each after its own 60 s):
    all were in flight when the first was counted, so one outage however long apart."""
    b, clock = book()
    tickets = []
    for _ in range(30):
        tickets.append(b.sent("k"))
        clock.now += 0.1
    clock.now += 57
    for ticket in tickets:
        b.failed("k", fail(FailureKind.TIMEOUT, 504), "groq", "m", sent_at=ticket)
        clock.now += 0.1
    assert b.key("k").failures == 1


def test_fast_failures_within_the_window_count_once() -> None:
    """Requests reaching a failing upstream a few ms apart, each failing at once, do not
    overlap in time: the window makes them one outage; after it, a new one counts."""
    b, clock = book()
    for _ in range(20):
        ticket = b.sent("k")
        clock.now += 0.002
        b.failed("k", SERVER, "groq", "m", sent_at=ticket)
        clock.now += 0.03  # 20 requests over 0.64 s
    assert b.key("k").failures == 1
    clock.now += b.outage_window_s
    ticket = b.sent("k")
    b.failed("k", SERVER, "groq", "m", sent_at=ticket)
    assert b.key("k").failures == 2


def test_sequential_outages_count_each_and_three_quarantine() -> None:
    b, clock = book()
    outage(b, clock)
    outage(b, clock)
    assert b.key("k").state(clock.now) == "degraded" and b.available("k", Limits())
    outage(b, clock)
    s = b.key("k")
    assert s.state(clock.now) == "unhealthy" and s.quarantine_s == 5.0
    assert not b.available("k", Limits()) and b.skip_reason("k") == "unhealthy"
    assert order_keys([key("k")], b) == []


def test_failures_during_the_quarantine_do_not_grow_it() -> None:
    """Stragglers sent before the quarantine (or by a caller without tickets) that fail
    while it runs change nothing: a quarantine grows only when its probe fails."""
    b, clock = book()
    late = b.sent("k")
    quarantine(b, clock)
    until = b.key("k").quarantine_until
    b.failed("k", SERVER, "groq", "m", sent_at=late)
    b.failed("k", SERVER, "groq", "m")
    assert (b.key("k").quarantine_until, b.key("k").failures) == (until, 3)


def test_half_open_lets_one_probe_through_at_a_time() -> None:
    b, clock = book()
    quarantine(b, clock)
    clock.now = b.key("k").quarantine_until
    keys = [key("k"), key("other")]
    assert [k.id for k in order_keys(keys, b)] == ["other", "k"]  # the probe, last
    probe = b.sent("k")
    assert not b.available("k", Limits()) and b.skip_reason("k") == "probing"
    assert [k.id for k in order_keys(keys, b)] == ["other"]
    clock.now += 9
    assert not b.available("k", Limits())  # still waiting for the probe
    b.succeeded("k", {}, sent_at=probe)
    s = b.key("k")
    assert s.state(clock.now) == "healthy" and s.failures == 0 and s.quarantine_s == 0
    assert b.available("k", Limits())


def test_a_failed_probe_doubles_the_quarantine_up_to_the_cap() -> None:
    b, clock = book()
    quarantine(b, clock)
    seen = [b.key("k").quarantine_s]
    for _ in range(5):
        clock.now = b.key("k").quarantine_until - 0.01
        assert not b.available("k", Limits())
        clock.now += 0.01
        assert b.available("k", Limits())
        probe = b.sent("k")
        clock.now += 0.2
        b.failed("k", SERVER, "groq", "m", sent_at=probe)
        seen.append(b.key("k").quarantine_s)
        assert b.key("k").quarantine_until == clock.now + seen[-1]
    assert seen == [5, 10, 20, 30, 30, 30]
    # Whatever the outage's length, the next probe is at most 30 s away: one success back.
    clock.now = b.key("k").quarantine_until
    b.succeeded("k", {}, sent_at=b.sent("k"))
    assert b.key("k").state(clock.now) == "healthy"
    quarantine(b, clock)  # a later quarantine starts small again
    assert b.key("k").quarantine_s == 5


def test_an_abandoned_probe_expires() -> None:
    """A probe whose request was cancelled never reports: after probe_hold_s the next
    request becomes the probe."""
    b, clock = book()
    quarantine(b, clock)
    clock.now = b.key("k").quarantine_until
    b.sent("k")  # never reports
    clock.now += b.probe_hold_s - 0.1
    assert not b.available("k", Limits())
    clock.now += 0.1
    assert b.available("k", Limits())
    second = b.sent("k")
    assert not b.available("k", Limits())
    b.succeeded("k", {}, sent_at=second)
    assert b.key("k").state(clock.now) == "healthy"


def test_a_probe_ended_without_a_verdict_frees_the_slot_at_once() -> None:
    """The client left, or the request's deadline or shutdown cut the probe short: the
    key is neither restored nor blamed, and the next request probes it."""
    b, clock = book()
    quarantine(b, clock)
    clock.now = b.key("k").quarantine_until
    probe = b.sent("k")
    assert not b.available("k", Limits())
    b.released("k", probe)
    assert b.available("k", Limits())
    s = b.key("k")
    assert s.failures >= 3 and s.quarantine_s == 5  # no verdict either way
    older = probe - 1.0  # a request from before the probe ending says nothing of it
    b.sent("k")
    b.released("k", older)
    assert not b.available("k", Limits())


@pytest.mark.parametrize(
    ("failure", "state"),
    [
        (fail(FailureKind.RATE_LIMITED, 429, 2), "cooldown"),
        (fail(FailureKind.BAD_REQUEST, 400), "unhealthy"),
        (fail(FailureKind.MODEL_NOT_FOUND, 404), "unhealthy"),
    ],
)
def test_a_probe_answered_by_a_non_outage_frees_the_slot(
    failure: UpstreamFailure, state: str
) -> None:
    b, clock = book()
    quarantine(b, clock)
    clock.now = b.key("k").quarantine_until
    b.failed("k", failure, "groq", "m", sent_at=b.sent("k"))
    s = b.key("k")
    assert s.state(clock.now) == state and s.quarantine_s == 5 and s.probe_until == 0
    clock.now += 2
    assert b.available("k", Limits())  # the next request probes


def test_a_success_sent_before_the_outage_does_not_erase_it() -> None:
    b, clock = book()
    slow = b.sent("k")
    clock.now += 1
    outage(b, clock)
    b.succeeded("k", {}, sent_at=slow)
    assert b.key("k").failures == 1 and b.key("k").successes == 1
    b.succeeded("k", {}, sent_at=b.sent("k"))
    assert b.key("k").failures == 0 and b.key("k").state(clock.now) == "healthy"


def test_a_stream_cut_after_its_headers_counts_once_per_outage() -> None:
    """The router reports a stream's success at its headers, then its cut (or malformed
    event, or stall) as a failure of the same request: ten streams cut together, one."""
    b, clock = book()
    tickets = [b.sent("k") for _ in range(10)]
    clock.now += 0.1
    for ticket in tickets:
        b.succeeded("k", {}, sent_at=ticket)
    clock.now += 0.2
    for ticket in tickets:
        b.failed("k", fail(FailureKind.CONNECTION, 502), "groq", "m", sent_at=ticket)
    assert b.key("k").failures == 1


def test_degraded_ranks_last_for_a_while_and_keeps_counting() -> None:
    """A degraded key goes after healthy ones for degraded_s, then ranks as healthy again
    (so an alias's first provider gets its traffic back); its next failure is the next
    consecutive outage."""
    b, clock = book()
    outage(b, clock)
    b.sent("j")  # used since: the least recently used rule alone would pick k first
    assert [k.id for k in order_keys([key("k"), key("j")], b)] == ["j", "k"]
    clock.now += b.degraded_s
    assert b.key("k").state(clock.now) == "healthy"
    assert [k.id for k in order_keys([key("k"), key("j")], b)] == ["k", "j"]
    outage(b, clock)
    assert (b.key("k").failures, b.key("k").state(clock.now)) == (2, "degraded")


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failure_marks_the_key_invalid_for_good(status: int) -> None:
    b, clock = book()
    b.failed("k", fail(FailureKind.AUTH, status), "groq", "m", sent_at=b.sent("k"))
    clock.now += 10_000
    assert b.key("k").state(clock.now) == "invalid" and not b.available("k", Limits())


def test_rate_limit_cools_down_for_the_time_the_provider_asked() -> None:
    b, clock = book()
    b.failed("k", fail(FailureKind.RATE_LIMITED, 429, retry_after=7), "groq", "m")
    assert b.key("k").state(clock.now) == "cooldown"
    clock.now += 6.9
    assert not b.available("k", Limits())
    clock.now += 0.2
    assert b.available("k", Limits())
    # Without Retry-After, the default cooldown.
    b.failed("j", fail(FailureKind.RATE_LIMITED, 429), "groq", "m")
    clock.now += b.default_cooldown_s - 1
    assert not b.available("j", Limits())


def test_model_not_found_cools_the_model_not_the_key() -> None:
    b, clock = book()
    b.failed("k", fail(FailureKind.MODEL_NOT_FOUND, 404), "groq", "gone-model")
    assert not b.model_available("groq", "gone-model")
    assert b.model_available("groq", "other")
    assert b.key("k").state(b.clock()) == "healthy"
    clock.now += 59.9
    assert not b.model_available("groq", "gone-model")
    clock.now += 0.1
    assert b.model_available("groq", "gone-model")


def test_bad_request_does_not_hurt_the_key() -> None:
    b, _ = book()
    for _ in range(5):
        b.failed("k", fail(FailureKind.BAD_REQUEST, 400), "groq", "m")
    assert b.key("k").state(b.clock()) == "healthy" and b.key("k").failures == 0


def test_own_per_minute_limit_is_headroom() -> None:
    b, clock = book()
    limits = Limits(rpm=3)
    for _ in range(3):
        assert b.available("k", limits)
        b.sent("k")
    assert b.headroom("k", limits) == 0 and not b.available("k", limits)
    clock.now += 60.1
    assert b.available("k", limits)


def test_provider_reported_quota_is_headroom_until_its_reset() -> None:
    b, clock = book()
    b.succeeded(
        "k",
        {
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-limit-requests": "30",
            "x-ratelimit-reset-requests": "2s",
        },
    )
    assert not b.available("k", Limits())
    clock.now += 2.1
    assert b.available("k", Limits())
    b.succeeded("k", {"x-ratelimit-remaining-requests": "15", "x-ratelimit-limit-requests": "30"})
    assert b.headroom("k", Limits()) == 0.5


def test_brand_before_pool_then_primary_then_priority() -> None:
    b, _ = book()
    keys = [
        key("pool-primary", primary=True),
        key("brand-low", brand="cli_a", priority=200),
        key("brand-primary", brand="cli_a", primary=True),
        key("brand-high", brand="cli_a", priority=10),
    ]
    assert [k.id for k in order_keys(keys, b)] == [
        "brand-primary",
        "brand-high",
        "brand-low",
        "pool-primary",
    ]


def test_healthy_before_degraded_and_unusable_left_out() -> None:
    b, _ = book()
    b.failed("a", fail(FailureKind.SERVER, 500), "groq", "m")
    b.failed("c", fail(FailureKind.RATE_LIMITED, 429, 5), "groq", "m")
    keys = [key("a"), key("b"), key("c")]
    assert [k.id for k in order_keys(keys, b)] == ["b", "a"]


def test_load_spreads_within_each_keys_limits() -> None:
    """Always sending to the first key of the order: each key's share stays within its
    limit, and no key gets a request while another has headroom and it has none."""
    b, _ = book()
    keys = [
        key("k1", limits=Limits(rpm=10)),
        key("k2", limits=Limits(rpm=20)),
        key("k3", limits=Limits(rpm=30)),
    ]
    served: Counter[str] = Counter()
    for _ in range(60):
        ordered = order_keys(keys, b)
        chosen = ordered[0]
        for other in keys:
            if other is not chosen and b.headroom(other.id, other.limits) > 0:
                assert b.headroom(chosen.id, chosen.limits) > 0
        b.sent(chosen.id)
        served[chosen.id] += 1
    assert served == {"k1": 10, "k2": 20, "k3": 30}
    assert order_keys(keys, b) == []  # every account is full: nothing is picked

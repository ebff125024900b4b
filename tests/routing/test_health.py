"""Key health states and account-aware key choice, with an injected clock."""

from __future__ import annotations

from collections import Counter
from typing import Any

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
    return HealthBook(clock=clock, wall_clock=lambda: 1_800_000_000.0, quarantine_s=30), clock


def test_failures_degrade_then_quarantine_then_a_probe_restores() -> None:
    b, clock = book()
    server = fail(FailureKind.SERVER, 500)
    assert b.key("k").state(clock.now) == "healthy"
    b.failed("k", server, "groq", "m")
    assert b.key("k").state(clock.now) == "degraded"
    assert b.available("k", Limits())
    b.failed("k", server, "groq", "m")
    b.failed("k", server, "groq", "m")
    assert b.key("k").state(clock.now) == "unhealthy"
    assert not b.available("k", Limits())  # quarantined
    clock.now += 31
    assert b.available("k", Limits())  # the probe
    b.failed("k", server, "groq", "m")
    assert not b.available("k", Limits())
    clock.now += 31
    assert not b.available("k", Limits())  # quarantine doubled to 60 s
    clock.now += 30
    b.succeeded("k", {})
    assert b.key("k").state(clock.now) == "healthy" and b.available("k", Limits())


def test_auth_failure_marks_the_key_invalid_for_good() -> None:
    b, clock = book()
    b.failed("k", fail(FailureKind.AUTH, 401), "groq", "m")
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
    b, _ = book()
    b.failed("k", fail(FailureKind.MODEL_NOT_FOUND, 404), "groq", "gone-model")
    assert not b.model_available("groq", "gone-model")
    assert b.model_available("groq", "other")
    assert b.key("k").state(b.clock()) == "healthy"


def test_bad_request_does_not_hurt_the_key() -> None:
    b, _ = book()
    b.failed("k", fail(FailureKind.BAD_REQUEST, 400), "groq", "m")
    assert b.key("k").state(b.clock()) == "healthy"


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

"""Each capacity verdict from the rule that gives it (``gate_service/vault/capacity.py``,
docs/api.md), with the figures shown beside it: headroom, shares, key counts, limit source."""

from __future__ import annotations

from gate_service.ledger.analytics_views import ProviderLoad
from gate_service.vault.capacity import MIN_ATTEMPTS, KeyCapacity, assess

LIMITED = KeyCapacity("healthy", rpd_limit=1000)  # 7,000 requests in 7 days
UNLIMITED = KeyCapacity("healthy")


def load(attempts: int, errors: int = 0, limited: int = 0) -> ProviderLoad:
    return ProviderLoad("openai", attempts, errors, limited)


def test_no_eligible_key_needs_one() -> None:
    keys = [KeyCapacity("invalid"), KeyCapacity("inactive")]
    c = assess("openai", keys, load(50, 50), days=7, registered=2)
    assert (c.verdict, c.suggested_keys) == ("add_keys", 1)
    assert (c.serving_keys, c.eligible_keys, c.registered_keys) == (0, 0, 2)


def test_little_traffic_and_no_limit_is_unmeasurable() -> None:
    c = assess("openai", [UNLIMITED], load(MIN_ATTEMPTS - 1), days=7, registered=1)
    assert (c.verdict, c.limit_source, c.headroom_pct) == (
        "unmeasurable",
        "estimated_from_429",
        None,
    )
    # The same traffic against a published limit is measured.
    assert assess("openai", [LIMITED], load(MIN_ATTEMPTS - 1), 7, 1).verdict == "healthy"


def test_errors_that_are_not_429_are_not_quota() -> None:
    c = assess("openai", [LIMITED, LIMITED], load(100, errors=30, limited=5), days=7, registered=2)
    assert (c.verdict, c.suggested_keys) == ("not_quota", None)
    assert c.rate_limited_share == 0.05


def test_429s_with_published_room_are_account_capped() -> None:
    c = assess("openai", [LIMITED, LIMITED], load(1000, errors=100, limited=100), 7, 2)
    assert c.verdict == "account_capped"
    assert c.headroom_pct == round((1 - 1000 / 14000) * 100, 1)
    assert c.limit_source == "published"


def test_429s_without_limits_add_keys_by_the_share() -> None:
    c = assess("openai", [UNLIMITED, UNLIMITED], load(1000, errors=500, limited=500), 7, 2)
    # 2 keys served half: 4 would serve all, so 2 more.
    assert (c.verdict, c.suggested_keys, c.headroom_pct) == ("add_keys", 2, 0.0)
    assert c.rate_limited_share == 0.5


def test_published_limits_nearly_used_add_keys_to_target_headroom() -> None:
    c = assess("openai", [LIMITED], load(6900), days=7, registered=1)
    # 6,900 of 7,000: one key at 80 % carries 5,600, so two keys are needed.
    assert (c.verdict, c.suggested_keys) == ("add_keys", 1)
    assert c.headroom_pct == round((1 - 6900 / 7000) * 100, 1)


def test_idle_published_keys_are_over_provisioned() -> None:
    c = assess("openai", [LIMITED, LIMITED, LIMITED], load(300), days=7, registered=3)
    assert (c.verdict, c.limit_source) == ("over_provisioned", "published")
    assert c.headroom_pct == round((1 - 300 / 21000) * 100, 1)


def test_a_partial_limit_is_never_over_provisioned() -> None:
    c = assess("openai", [LIMITED, UNLIMITED], load(300), days=7, registered=2)
    assert (c.verdict, c.limit_source) == ("healthy", "partial")


def test_healthy_and_the_key_counts() -> None:
    keys = [LIMITED, KeyCapacity("cooldown", rpd_limit=1000), KeyCapacity("inactive")]
    # 429s under the pressure share (0.2 % < 2 %) with 64 % headroom: healthy.
    c = assess("openai", keys, load(5000, errors=10, limited=10), days=7, registered=5)
    assert (c.verdict, c.headroom_pct) == ("healthy", round((1 - 5000 / 14000) * 100, 1))
    assert (c.serving_keys, c.eligible_keys, c.registered_keys) == (1, 2, 5)
    assert KeyCapacity("healthy", rpm_limit=2, rpd_limit=5000).daily_limit == 2880

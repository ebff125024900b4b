"""The health summary: live states read from the HealthBook, one recommendation each."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from gate_service.providers.base import FailureKind, UpstreamFailure
from gate_service.routing.health import HealthBook
from gate_service.vault.health import key_health, key_state, recommend, summarize
from gate_service.vault.records import KeyOptions, KeyView

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def view(key_id: str, provider: str = "groq", **options: object) -> KeyView:
    return KeyView(
        id=key_id,
        client_id="cli_0123456789abcdef",
        provider=provider,
        preview="gsk_…xyz",
        base_url=None,
        label="",
        active=True,
        created_at=NOW,
        updated_at=NOW,
        options=KeyOptions(**options),  # type: ignore[arg-type]
    )


def book() -> tuple[HealthBook, Clock]:
    clock = Clock()
    return HealthBook(clock=clock, wall_clock=lambda: 1_800_000_000.0), clock


def failure(kind: FailureKind, status: int, retry_after: float | None = None) -> UpstreamFailure:
    return UpstreamFailure(kind, status, "boom", retry_after)


def test_states_come_from_the_book_without_changing_it() -> None:
    b, clock = book()
    a, c = view("key_a"), view("key_c")
    assert key_state(a, b) == "healthy" and b.states() == {}
    b.failed("key_a", failure(FailureKind.RATE_LIMITED, 429, 12.0), "groq", "m")
    health = key_health(a, b)
    assert (health.state, health.cooldown_s, health.last_error) == (
        "cooldown",
        12.0,
        "rate_limited (429)",
    )
    clock.now += 5
    assert key_health(a, b).cooldown_s == 7.0
    assert key_state(replace(c, active=False), b) == "inactive"


def test_spend_is_shown_per_period() -> None:
    b, _ = book()
    v = view("key_a", spend_limit_usd=1.0, spend_action="block", spend_period="daily")
    b.spent("key_a", 0.4, "daily")
    assert key_health(v, b).spend_usd == 0.4 and not key_health(v, b).spend_blocked
    b.spent("key_a", 0.7, "daily")
    assert key_health(v, b).spend_blocked
    assert recommend([key_health(v, b)]).startswith("raise the spend limit of key_a")


def test_recommendations() -> None:
    b, _ = book()
    a, c = view("key_a"), view("key_c")
    assert recommend([]) == "no keys: add one"
    assert recommend([key_health(replace(a, active=False), b)]).startswith("no keys")
    assert recommend([key_health(a, b), key_health(c, b)]) == "ok"

    b.failed("key_a", failure(FailureKind.RATE_LIMITED, 429), "groq", "m")
    assert recommend([key_health(a, b), key_health(c, b)]) == "ok"  # one still serves
    b.failed("key_c", failure(FailureKind.RATE_LIMITED, 429), "groq", "m")
    assert recommend([key_health(a, b), key_health(c, b)]) == "add keys: every key is rate-limited"

    b.clear()
    b.failed("key_c", failure(FailureKind.AUTH, 401), "groq", "m")
    assert recommend([key_health(a, b), key_health(c, b)]).startswith("replace invalid key key_c")

    b.clear()
    for _ in range(3):
        b.failed("key_a", failure(FailureKind.SERVER, 500), "groq", "m")
    assert recommend([key_health(a, b), key_health(c, b)]).startswith("check key key_a")


def test_summary_groups_by_provider_and_lists_named_ones() -> None:
    b, _ = book()
    views = [view("key_a", "groq"), view("key_b", "openai"), view("key_c", "groq")]
    summary = summarize(views, b, ["mistral"])
    assert [p.provider for p in summary] == ["groq", "mistral", "openai"]
    assert [k.key_id for k in summary[0].keys] == ["key_a", "key_c"]
    assert summary[1].recommendation == "no keys: add one"
    assert "gsk_…xyz" in repr(summary) and "secret" not in repr(summary)

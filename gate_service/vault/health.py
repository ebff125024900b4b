"""The health summary: each key's live state and one recommendation per provider.

Live health is what routing learned in this process (``HealthBook``): the summary reads it
without changing it. Keys are shown by masked preview only. The recommendation is the one
thing a human should do next for that provider, most urgent first: a provider that cannot
serve at all, then a dead key, then one that keeps failing, then a spend limit reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gate_service.routing.health import UNHEALTHY_AFTER, HealthBook
from gate_service.vault.records import KeyView

STATES = ("healthy", "degraded", "unhealthy", "cooldown", "invalid", "inactive")


@dataclass(frozen=True, slots=True)
class KeyHealth:
    """One key as the summary shows it."""

    key_id: str
    preview: str
    label: str
    pool: bool
    state: str
    failures: int
    last_error: str
    # Seconds until the key is tried again: its cooldown, or an unhealthy key's quarantine.
    cooldown_s: float
    spend_usd: float
    spend_limit_usd: float | None
    spend_period: str
    spend_blocked: bool


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    provider: str
    keys: tuple[KeyHealth, ...]
    recommendation: str


def key_state(view: KeyView, book: HealthBook) -> str:
    """``inactive`` for a switched-off key, else the live state (healthy when unknown)."""
    if not view.active:
        return "inactive"
    state = book.states().get(view.id)
    return "healthy" if state is None else state.state(book.clock())


def key_health(view: KeyView, book: HealthBook) -> KeyHealth:
    now = book.clock()
    state = book.states().get(view.id)
    limits = view.options.limits
    wait = 0.0
    if state is not None:
        wait = max(state.cooldown_until - now, 0.0)
        if state.failures >= UNHEALTHY_AFTER:
            wait = max(wait, state.quarantine_until - now)
    return KeyHealth(
        key_id=view.id,
        preview=view.preview,
        label=view.label,
        pool=view.is_pool,
        state=key_state(view, book),
        failures=state.failures if state else 0,
        last_error=state.last_error if state else "",
        cooldown_s=round(wait, 3),
        spend_usd=book.spend_in_period(view.id, limits.spend_period),
        spend_limit_usd=limits.spend_limit_usd,
        spend_period=limits.spend_period,
        spend_blocked=limits.spend_block and book.over_spend(view.id, limits),
    )


def recommend(keys: Sequence[KeyHealth]) -> str:
    """The single most useful next step for a provider with these keys."""
    if not keys:
        return "no keys: add one"
    live = [k for k in keys if k.state != "inactive"]
    if not live:
        return "no keys: every key is inactive; activate one or add one"
    invalid = [k for k in live if k.state == "invalid"]
    failing = [k for k in live if k.state == "unhealthy"]
    blocked = [k for k in live if k.spend_blocked]
    serving = [k for k in live if k.state in ("healthy", "degraded") and not k.spend_blocked]
    if not serving and all(k.state == "cooldown" for k in live):
        return "add keys: every key is rate-limited"
    if invalid:
        return f"replace invalid key {invalid[0].key_id}: the provider rejects it"
    if failing:
        return f"check key {failing[0].key_id}: it keeps failing ({failing[0].last_error})"
    if blocked:
        return f"raise the spend limit of {blocked[0].key_id} or add keys: it reached its limit"
    if not serving:
        return "add keys: no key can serve right now"
    return "ok"


def summarize(
    views: Iterable[KeyView], book: HealthBook, providers: Iterable[str] = ()
) -> list[ProviderHealth]:
    """Per provider (those with keys, plus any named in ``providers``), sorted by id."""
    grouped: dict[str, list[KeyHealth]] = {p: [] for p in providers}
    for view in views:
        grouped.setdefault(view.provider, []).append(key_health(view, book))
    return [
        ProviderHealth(provider=p, keys=tuple(keys), recommendation=recommend(keys))
        for p, keys in sorted(grouped.items())
    ]

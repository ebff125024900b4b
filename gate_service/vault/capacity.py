"""Capacity: per provider, whether the caller's keys have room for the traffic the ledger
saw, and the one thing to do if not. Pure: keys (with their live state) and the ledger's
attempt counts in, one verdict per provider out; docs/api.md states the same rules.

Rules, first match wins (``share`` = rate-limited attempts / attempts):

1. ``add_keys`` (suggest 1): no eligible key (active, not invalid) at all.
2. ``unmeasurable``: fewer than ``MIN_ATTEMPTS`` attempts and no key publishes a limit:
   nothing to measure the keys against.
3. ``not_quota``: errors are at least ``ERROR_SHARE`` of attempts and fewer than half of
   them are 429s: the provider fails for other reasons; more keys would not help.
4. ``account_capped``: ``share`` ≥ ``PRESSURE`` while the keys' published limits leave at
   least ``CAPPED_HEADROOM`` % headroom: the provider limits the account below its keys'
   own limits, so more keys of the same account would not help (a higher tier would).
5. ``add_keys``: ``share`` ≥ ``PRESSURE``, or published headroom below ``LOW_HEADROOM`` %.
   ``suggested_keys`` = the keys that would carry the load with ``TARGET_HEADROOM`` %
   spare, less the eligible keys, at least 1 (from the 429 share when no limit is known:
   ``ceil(n / (1 − share)) − n``).
6. ``over_provisioned``: no 429, at least two eligible keys, every one with a published
   limit, and headroom of ``IDLE_HEADROOM`` % or more.
7. ``healthy``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gate_service.ledger.analytics_views import ProviderLoad

MIN_ATTEMPTS = 20
ERROR_SHARE = 0.10
PRESSURE = 0.02
CAPPED_HEADROOM = 50.0
LOW_HEADROOM = 10.0
TARGET_HEADROOM = 20.0
IDLE_HEADROOM = 80.0
_MINUTES_A_DAY = 1440


@dataclass(frozen=True, slots=True)
class KeyCapacity:
    """What capacity needs of one key."""

    state: str  # a vault.health state
    spend_blocked: bool = False
    rpm_limit: int | None = None
    rpd_limit: int | None = None

    @property
    def eligible(self) -> bool:
        return self.state not in ("inactive", "invalid")

    @property
    def serving(self) -> bool:
        return self.state in ("healthy", "degraded") and not self.spend_blocked

    @property
    def daily_limit(self) -> int | None:
        """Requests a day the key allows: its per-day limit, or its per-minute one × 1440."""
        limits = [
            n
            for n in (
                self.rpd_limit,
                None if self.rpm_limit is None else self.rpm_limit * _MINUTES_A_DAY,
            )
            if n is not None
        ]
        return min(limits) if limits else None


@dataclass(frozen=True, slots=True)
class Capacity:
    provider: str
    verdict: str
    suggested_keys: int | None
    headroom_pct: float | None
    attempts: int
    errors: int
    rate_limited: int
    rate_limited_share: float
    serving_keys: int
    eligible_keys: int
    registered_keys: int
    limit_source: str


def assess(
    provider: str, keys: Sequence[KeyCapacity], load: ProviderLoad, days: int, registered: int
) -> Capacity:
    """The verdict for one provider: ``keys`` are the counted ones (at most ``key_limit``),
    ``registered`` every key the caller may route to there, ``load`` over ``days`` days."""
    eligible = [k for k in keys if k.eligible]
    limits = [k.daily_limit for k in eligible]
    known = [n for n in limits if n is not None]
    if eligible and len(known) == len(eligible):
        source = "published"
    elif known:
        source = "partial"
    else:
        source = "estimated_from_429"
    attempts, errors, limited = load.attempts, load.errors, load.rate_limited
    share = limited / attempts if attempts else 0.0
    capacity = sum(known) * days
    headroom: float | None = None
    if capacity:
        headroom = round(max(0.0, 1 - attempts / capacity) * 100, 1)
    elif limited:
        headroom = 0.0  # rate-limited with no published limit: the limit was reached
    n = len(eligible)

    def verdict() -> tuple[str, int | None]:
        if not eligible:
            return "add_keys", 1
        if attempts < MIN_ATTEMPTS and not known:
            return "unmeasurable", None
        if attempts and errors / attempts >= ERROR_SHARE and limited * 2 < errors:
            return "not_quota", None
        if share >= PRESSURE and headroom is not None and headroom >= CAPPED_HEADROOM and known:
            return "account_capped", None
        if share >= PRESSURE or (known and headroom is not None and headroom < LOW_HEADROOM):
            if known and source == "published":
                per_key = capacity / n
                wanted = attempts / (per_key * (1 - TARGET_HEADROOM / 100))
                return "add_keys", max(1, math.ceil(wanted) - n)
            return "add_keys", max(1, math.ceil(n / (1 - min(share, 0.9))) - n)
        if (
            limited == 0
            and n >= 2
            and source == "published"
            and headroom is not None
            and headroom >= IDLE_HEADROOM
        ):
            return "over_provisioned", None
        return "healthy", None

    name, suggested = verdict()
    return Capacity(
        provider=provider,
        verdict=name,
        suggested_keys=suggested,
        headroom_pct=headroom,
        attempts=attempts,
        errors=errors,
        rate_limited=limited,
        rate_limited_share=round(share, 6),
        serving_keys=sum(1 for k in keys if k.eligible and k.serving),
        eligible_keys=n,
        registered_keys=registered,
        limit_source=source,
    )

"""Key health and headroom: what routing knows about each provider account right now.

States (vault-and-routing.md, "Key health"):

| state     | consecutive failures | behaviour                                              |
|-----------|----------------------|--------------------------------------------------------|
| healthy   | 0                    | selected                                               |
| degraded  | 1-2                  | selected after healthy keys                            |
| unhealthy | 3 or more            | quarantined; one probe after the quarantine, a success |
|           |                      | restores it, a failure doubles the quarantine          |

A provider 401/403 marks a key ``invalid`` (never picked until the key is edited). A 429
puts it in ``cooldown`` for the provider's ``Retry-After`` (or its rate-limit reset
headers, or ``default_cooldown_s``). A provider 404 puts the *model* in cooldown.

Headroom combines the key's own limits (requests per minute and per day, counted here
over sliding windows) with the quota the provider itself reports in response headers
(``x-ratelimit-remaining-requests`` / ``-tokens`` and their resets; Anthropic's
``anthropic-ratelimit-*``). A key with no headroom is not picked.

This book is per process; it is the one place to swap for a shared (Redis) one.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gate_service.providers.base import FailureKind, UpstreamFailure
from gate_service.providers.errors import quota_reset_seconds

UNHEALTHY_AFTER = 3
DAY_S = 86_400.0


@dataclass(slots=True)
class KeyState:
    """Live facts about one key."""

    failures: int = 0
    invalid: bool = False
    cooldown_until: float = 0.0
    quarantine_until: float = 0.0
    quarantine_s: float = 0.0
    last_error: str = ""
    last_used: float = 0.0
    successes: int = 0
    # The provider's own account of the quota: remaining / limit, valid until reset.
    remaining_requests: int | None = None
    limit_requests: int | None = None
    remaining_tokens: int | None = None
    limit_tokens: int | None = None
    quota_reset_at: float = 0.0
    # Our own counts of requests sent, for the key's per-minute and per-day limits.
    minute: deque[float] = field(default_factory=deque)
    day: deque[float] = field(default_factory=deque)
    # USD spent per period bucket ("2026-11-25" for daily, "2026-11" for monthly).
    spend: dict[str, float] = field(default_factory=dict)

    def state(self, now: float) -> str:
        if self.invalid:
            return "invalid"
        if self.cooldown_until > now:
            return "cooldown"
        if self.failures >= UNHEALTHY_AFTER:
            return "unhealthy"
        return "degraded" if self.failures else "healthy"


@dataclass(frozen=True, slots=True)
class Limits:
    """A key's own limits (None = unlimited).

    ``spend_limit_usd`` over ``spend_period`` ("daily" or "monthly", UTC): with
    ``spend_block`` the key is not picked once its spend reaches the limit; without it
    (action "warn") it stays usable and ``over_spend`` says so.
    """

    rpm: int | None = None
    rpd: int | None = None
    spend_limit_usd: float | None = None
    spend_period: str = "monthly"
    spend_block: bool = False


def _int(headers: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            try:
                return int(float(value))
            except ValueError:
                continue
    return None


class HealthBook:
    """Key states and model cooldowns, with the clock injected for tests."""

    def __init__(
        self,
        *,
        default_cooldown_s: float = 30.0,
        quarantine_s: float = 30.0,
        max_quarantine_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys: dict[str, KeyState] = {}
        self._models: dict[tuple[str, str], float] = {}
        self.default_cooldown_s = default_cooldown_s
        self.quarantine_s = quarantine_s
        self.max_quarantine_s = max_quarantine_s
        self.clock = clock
        self._wall = wall_clock

    def key(self, key_id: str) -> KeyState:
        state = self._keys.get(key_id)
        if state is None:
            state = self._keys[key_id] = KeyState()
        return state

    def clear(self) -> None:
        """Forget everything (tests; an operator's "reset health")."""
        self._keys.clear()
        self._models.clear()

    def forget(self, key_id: str) -> None:
        """Start over for a key (it was edited: a new secret deserves a fresh chance)."""
        self._keys.pop(key_id, None)

    def states(self) -> dict[str, KeyState]:
        return dict(self._keys)

    # ------------------------------------------------------------------ choosing

    def available(self, key_id: str, limits: Limits) -> bool:
        """May this key be sent a request now?"""
        now = self.clock()
        s = self._keys.get(key_id)
        if s is None:
            return True
        if s.invalid or s.cooldown_until > now:
            return False
        if s.failures >= UNHEALTHY_AFTER and s.quarantine_until > now:
            return False
        if limits.spend_block and self.over_spend(key_id, limits):
            return False
        return self.headroom(key_id, limits) > 0

    def _period(self, period: str) -> str:
        day = datetime.fromtimestamp(self._wall(), UTC).strftime("%Y-%m-%d")
        return day if period == "daily" else day[:7]

    def spent(self, key_id: str, usd: float, period: str = "monthly") -> None:
        """Add what a request on this key cost, to the key's current period."""
        if usd > 0:
            bucket = self._period(period)
            spend = self.key(key_id).spend
            spend[bucket] = spend.get(bucket, 0.0) + usd

    def spend_in_period(self, key_id: str, period: str) -> float:
        s = self._keys.get(key_id)
        return s.spend.get(self._period(period), 0.0) if s else 0.0

    def over_spend(self, key_id: str, limits: Limits) -> bool:
        """Whether the key reached its spend limit in the current period."""
        if limits.spend_limit_usd is None:
            return False
        return self.spend_in_period(key_id, limits.spend_period) >= limits.spend_limit_usd

    def headroom(self, key_id: str, limits: Limits) -> float:
        """0 (none left) .. 1 (all left): the tightest of every limit we know of."""
        s = self._keys.get(key_id)
        if s is None:
            return 1.0
        now = self.clock()
        room = 1.0
        if limits.rpm:
            _trim(s.minute, now - 60.0)
            room = min(room, (limits.rpm - len(s.minute)) / limits.rpm)
        if limits.rpd:
            _trim(s.day, now - DAY_S)
            room = min(room, (limits.rpd - len(s.day)) / limits.rpd)
        if s.quota_reset_at > now:
            for remaining, limit in (
                (s.remaining_requests, s.limit_requests),
                (s.remaining_tokens, s.limit_tokens),
            ):
                if remaining is not None:
                    room = min(room, remaining / limit if limit else (1.0 if remaining else 0.0))
        return max(0.0, room)

    def model_available(self, provider: str, model: str) -> bool:
        until = self._models.get((provider, model))
        return until is None or until <= self.clock()

    # ------------------------------------------------------------------ outcomes

    def sent(self, key_id: str) -> None:
        """Count a request against the key's own windows (before the answer is known)."""
        now = self.clock()
        s = self.key(key_id)
        s.minute.append(now)
        s.day.append(now)
        s.last_used = now
        # Requests in flight eat into the provider's reported quota before it says so.
        if s.remaining_requests:
            s.remaining_requests -= 1

    def succeeded(self, key_id: str, headers: Mapping[str, str]) -> None:
        s = self.key(key_id)
        s.failures = 0
        s.quarantine_until = 0.0
        s.quarantine_s = 0.0
        s.successes += 1
        self._observe_quota(s, headers)

    def failed(self, key_id: str, failure: UpstreamFailure, provider: str, model: str) -> None:
        now = self.clock()
        s = self.key(key_id)
        s.last_error = f"{failure.kind.value} ({failure.status})"
        if failure.kind is FailureKind.BAD_REQUEST:
            return  # the request was bad, not the key
        if failure.kind is FailureKind.AUTH:
            s.invalid = True
            return
        if failure.kind is FailureKind.MODEL_NOT_FOUND:
            self._models[(provider, model)] = now + self.max_quarantine_s
            return
        if failure.kind is FailureKind.RATE_LIMITED:
            wait = failure.retry_after_s
            s.cooldown_until = now + (wait if wait is not None else self.default_cooldown_s)
            s.remaining_requests = 0
            s.quota_reset_at = s.cooldown_until
            return
        s.failures += 1
        if s.failures >= UNHEALTHY_AFTER:
            s.quarantine_s = min(
                self.max_quarantine_s, s.quarantine_s * 2 if s.quarantine_s else self.quarantine_s
            )
            s.quarantine_until = now + s.quarantine_s

    def _observe_quota(self, s: KeyState, headers: Mapping[str, str]) -> None:
        remaining = _int(
            headers, "x-ratelimit-remaining-requests", "anthropic-ratelimit-requests-remaining"
        )
        tokens = _int(
            headers, "x-ratelimit-remaining-tokens", "anthropic-ratelimit-tokens-remaining"
        )
        if remaining is None and tokens is None:
            return
        s.remaining_requests = remaining
        s.remaining_tokens = tokens
        s.limit_requests = _int(
            headers, "x-ratelimit-limit-requests", "anthropic-ratelimit-requests-limit"
        )
        s.limit_tokens = _int(
            headers, "x-ratelimit-limit-tokens", "anthropic-ratelimit-tokens-limit"
        )
        reset = quota_reset_seconds(headers, self._wall())
        s.quota_reset_at = self.clock() + (reset if reset is not None else 60.0)


def _trim(window: deque[float], before: float) -> None:
    while window and window[0] <= before:
        window.popleft()

"""Key health and headroom: what routing knows about each provider account right now.

States (vault-and-routing.md, "Key health"; the rule and its numbers: docs/key-health.md):

| state     | consecutive outages | behaviour                                                |
|-----------|---------------------|----------------------------------------------------------|
| healthy   | 0                   | selected                                                 |
| degraded  | 1-2                 | selected after healthy keys, for ``degraded_s`` (5 s)    |
|           |                     | after the last outage; then ranked healthy again         |
| unhealthy | 3 or more           | quarantined, then half-open: one probe at a time; the    |
|           |                     | probe's success restores the key, its failure doubles    |
|           |                     | the quarantine                                           |

**Outages, not requests.** Only failures that may be the upstream's fault count (5xx,
timeouts and stalls, resets and cut streams, malformed answers or SSE: ``SERVER``,
``TIMEOUT``, ``CONNECTION``, ``PROTOCOL``), and such a failure is a new outage only if
none of these holds:

1. its request was sent before the last counted failure of the key: it was already in
   flight when that outage was seen, so it is part of it (``sent()`` returns the send
   time, which ``failed()`` and ``succeeded()`` take back as ``sent_at``);
2. an outage is open (1+ failures) and the last one was counted less than
   ``outage_window_s`` (1 s) ago: requests that reach a failing upstream a few
   milliseconds apart and fail at once do not overlap in time, yet are one incident
   (measured through the bridge: a burst of 30 concurrent requests, every one failing
   over all four keys, takes 0.23-0.73 s on the 2-core test machine at load 5);
3. the key is quarantined: whatever fails now was sent before the quarantine began.

So ten concurrent 500s count once, and a key is quarantined only after three outages
with no success between them, each at least 1 s after the previous one. A failure that
does not count still sets ``last_error``.

**Recovery.** The quarantine lasts ``quarantine_s`` (5 s). Then the key is half-open: the
next request sent on it is the probe, and other requests skip the key ("probing") until
the probe reports or ``probe_hold_s`` (10 s) passes (a cancelled probe never reports).
The probe's success restores the key; its failure doubles the quarantine, up to
``max_quarantine_s`` (30 s). Nothing else grows a quarantine. So a provider serves again
at most 30 s (plus one request) after its upstream recovered, however long the outage
was; after a short burst at once (its keys were only degraded: measured 0.04-0.22 s) or
within 5 s (quarantined: measured 4.8 s), tests/e2e/test_recovery.py.

A success restores the key only if its request was sent at or after the last counted
failure: a slow answer to a request sent before the outage says nothing about now. A
stream reports success when the upstream answers with its headers; a cut, malformed
event or stall after that is a failure of the same request and counts as above.

A provider 401/403 marks a key ``invalid`` (never picked until the key is edited). A 429
puts it in ``cooldown`` for the provider's ``Retry-After`` (or its rate-limit reset
headers, or ``default_cooldown_s``, 30 s). A provider 404 puts the *model* in cooldown
for ``model_cooldown_s`` (60 s: a delisted model costs one fast 404 a minute, a
transient one heals within a minute). A 400 changes nothing: the request was bad. None of
these is an outage; a probe answered by one of them frees the probe slot.

Headroom combines the key's own limits (requests per minute and per day, counted here
over sliding windows) with the quota the provider itself reports in response headers
(``x-ratelimit-remaining-requests`` / ``-tokens`` and their resets; Anthropic's
``anthropic-ratelimit-*``). A key with no headroom is not picked.

This book is per process. With Redis (``--redis-url``) every replica shares the truth
through :class:`gate_service.routing.keystates.KeyStates`, which keeps this book as its
mirror (and its fallback while Redis is unreachable): docs/key-health.md, "Across replicas".
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gate_service.providers.base import FailureKind, UpstreamFailure
from gate_service.providers.errors import quota_reset_seconds

UNHEALTHY_AFTER = 3
DAY_S = 86_400.0
# Failures that say something about the key's upstream (the others are handled apart).
OUTAGE_KINDS = frozenset(
    {FailureKind.SERVER, FailureKind.TIMEOUT, FailureKind.CONNECTION, FailureKind.PROTOCOL}
)


@dataclass(slots=True)
class KeyState:
    """Live facts about one key."""

    # Consecutive outages (not requests: see the module docstring).
    failures: int = 0
    invalid: bool = False
    cooldown_until: float = 0.0
    # A key with 1-2 outages ranks after healthy ones until then.
    degraded_until: float = 0.0
    quarantine_until: float = 0.0
    quarantine_s: float = 0.0
    # When the last outage was counted: requests sent before it belong to that outage.
    outage_at: float = -math.inf
    # Half-open: a probe was sent at ``probe_sent_at``; others skip the key until it
    # reports or ``probe_until`` passes.
    probe_sent_at: float = -math.inf
    probe_until: float = 0.0
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
    # The shared store found the key's per-minute or per-day limit reached (across every
    # replica): not picked until then.
    full_until: float = 0.0
    # USD spent per period bucket ("2026-11-25" for daily, "2026-11" for monthly).
    spend: dict[str, float] = field(default_factory=dict)

    def state(self, now: float) -> str:
        if self.invalid:
            return "invalid"
        if self.cooldown_until > now:
            return "cooldown"
        if self.failures >= UNHEALTHY_AFTER:
            return "unhealthy"
        return "degraded" if self.failures and self.degraded_until > now else "healthy"

    def quarantined(self, now: float) -> bool:
        return self.failures >= UNHEALTHY_AFTER and self.quarantine_until > now

    def probing(self, now: float) -> bool:
        """Half-open with a probe in flight: the key waits for its answer."""
        return self.failures >= UNHEALTHY_AFTER and self.probe_until > now

    def restore(self) -> None:
        """Healthy again: a success after the last outage."""
        self.failures = 0
        self.degraded_until = self.quarantine_until = self.quarantine_s = 0.0
        self.probe_until = 0.0


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
        quarantine_s: float = 5.0,
        max_quarantine_s: float = 30.0,
        outage_window_s: float = 1.0,
        degraded_s: float = 5.0,
        probe_hold_s: float = 10.0,
        model_cooldown_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 <= outage_window_s < quarantine_s <= max_quarantine_s:
            # A probe is sent after the quarantine; its failure must never fall in the window.
            raise ValueError("need 0 <= outage_window_s < quarantine_s <= max_quarantine_s")
        self._keys: dict[str, KeyState] = {}
        self._models: dict[tuple[str, str], float] = {}
        self.default_cooldown_s = default_cooldown_s
        self.quarantine_s = quarantine_s
        self.max_quarantine_s = max_quarantine_s
        self.outage_window_s = outage_window_s
        self.degraded_s = degraded_s
        self.probe_hold_s = probe_hold_s
        self.model_cooldown_s = model_cooldown_s
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
        if s.quarantined(now) or s.probing(now) or s.full_until > now:
            return False
        if limits.spend_block and self.over_spend(key_id, limits):
            return False
        return self.headroom(key_id, limits) > 0

    def skip_reason(self, key_id: str) -> str:
        """Why an unavailable key is skipped, for the route trace: ``invalid``,
        ``cooldown``, ``unhealthy`` (quarantined), ``probing`` (another request is its
        probe) or ``no_headroom`` (its limits, its spend limit or the provider's quota)."""
        now = self.clock()
        s = self.key(key_id)
        state = s.state(now)
        if state == "unhealthy" and s.probing(now) and not s.quarantined(now):
            return "probing"
        return "no_headroom" if state in ("healthy", "degraded") else state

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

    def cool_model(self, provider: str, model: str, until: float) -> None:
        """The model is in cooldown at that provider until ``until`` (this book's clock):
        what another replica learnt, from the shared store."""
        self._models[(provider, model)] = until

    def model_available(self, provider: str, model: str) -> bool:
        until = self._models.get((provider, model))
        return until is None or until <= self.clock()

    # ------------------------------------------------------------------ outcomes

    def sent(self, key_id: str) -> float:
        """A request is being sent on this key now: count it against the key's own windows
        and, when the key is half-open, make it the probe. Returns the send time, the
        ticket to hand back to ``failed`` / ``succeeded`` as ``sent_at``."""
        now = self.clock()
        s = self.key(key_id)
        s.minute.append(now)
        s.day.append(now)
        s.last_used = now
        # Requests in flight eat into the provider's reported quota before it says so.
        if s.remaining_requests:
            s.remaining_requests -= 1
        if s.failures >= UNHEALTHY_AFTER and not s.quarantined(now) and not s.probing(now):
            s.probe_sent_at = now
            s.probe_until = now + self.probe_hold_s
        return now

    def succeeded(
        self, key_id: str, headers: Mapping[str, str], *, sent_at: float | None = None
    ) -> None:
        """The upstream answered (a stream: with its headers). Restores the key unless the
        request was sent before the last counted failure. ``sent_at=None``: unknown, taken
        as sent now."""
        s = self.key(key_id)
        s.successes += 1
        if sent_at is None or sent_at >= s.outage_at:
            s.restore()
        self._observe_quota(s, headers)

    def released(self, key_id: str, sent_at: float) -> None:
        """A request on this key ended without a verdict on the key (the client left, the
        request's deadline passed, shutdown): if it was the probe, free the slot now
        rather than after ``probe_hold_s``."""
        s = self._keys.get(key_id)
        if s is not None and sent_at >= s.probe_sent_at:
            s.probe_until = 0.0

    def failed(
        self,
        key_id: str,
        failure: UpstreamFailure,
        provider: str,
        model: str,
        *,
        sent_at: float | None = None,
    ) -> None:
        """An attempt on this key failed. ``sent_at`` is what ``sent`` returned; ``None``
        (a caller that does not track sends) makes every failure an outage of its own."""
        now = self.clock()
        s = self.key(key_id)
        s.last_error = f"{failure.kind.value} ({failure.status})"
        if sent_at is None or sent_at >= s.probe_sent_at:
            s.probe_until = 0.0  # the probe (if this was it) reported: the slot is free
        if failure.kind is FailureKind.BAD_REQUEST:
            return  # the request was bad, not the key
        if failure.kind is FailureKind.AUTH:
            s.invalid = True
            return
        if failure.kind is FailureKind.MODEL_NOT_FOUND:
            self._models[(provider, model)] = now + self.model_cooldown_s
            return
        if failure.kind is FailureKind.RATE_LIMITED:
            wait = failure.retry_after_s
            s.cooldown_until = now + (wait if wait is not None else self.default_cooldown_s)
            s.remaining_requests = 0
            s.quota_reset_at = s.cooldown_until
            return
        if failure.kind in OUTAGE_KINDS and self._new_outage(s, now, sent_at):
            s.failures += 1
            s.outage_at = now
            s.degraded_until = now + self.degraded_s
            if s.failures >= UNHEALTHY_AFTER:
                # Entering quarantine, or (only possible after it) the probe failed.
                s.quarantine_s = min(
                    self.max_quarantine_s,
                    s.quarantine_s * 2 if s.quarantine_s else self.quarantine_s,
                )
                s.quarantine_until = now + s.quarantine_s
                s.probe_until = 0.0

    def _new_outage(self, s: KeyState, now: float, sent_at: float | None) -> bool:
        """Whether a failure seen now starts a new outage (module docstring, rules 1-3)."""
        if s.quarantined(now):
            return False
        if sent_at is None:
            return True
        if sent_at < s.outage_at:
            return False  # in flight when the last outage was counted: the same outage
        return not (s.failures and now - s.outage_at < self.outage_window_s)

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

"""What routing does with a key's state around each attempt: reserve, then report.

Without Redis (the embedded default) this is the process's own :class:`HealthBook`, as
before: ``reserve`` is ``HealthBook.sent`` and the outcomes go straight to the book.

With Redis (``--redis-url``) every replica reads and writes one shared state
(:class:`~gate_service.routing.keystate_redis.RedisKeyStore`): health states, cooldowns,
``invalid`` marks, model cooldowns, the key's own per-minute/per-day counts and the quota
its provider reported. Picking a key is one round trip: one script checks every reason
not to use it and, if none holds, counts the request in the key's windows, so a key
limited to 30 requests a minute is sent at most 30 a minute across all replicas. Every
answer carries the key's whole shared state, which the local book adopts: the book is the
replica's mirror of the truth (it orders keys without I/O, and a key refused once is not
asked about again until its refusal ends) and its fallback. A success costs no round trip
unless it says something new (the key was failing or probing, or the provider reported
its quota; then the write runs in the background, off the request's path).

If Redis is unreachable, each replica falls back to its own book (which kept the last
shared state it saw) and says so once a minute (:class:`OutageLog`); the key's own limits
then hold per replica until Redis answers again.

A 401/403 also marks the key invalid in the database (``on_invalid``), so after a
restart it is still skipped, with or without Redis, until it is edited.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from gate_service.governance.outage import OutageLog
from gate_service.governance.store import StoreUnavailable
from gate_service.providers.base import FailureKind, UpstreamFailure
from gate_service.providers.errors import quota_reset_seconds
from gate_service.routing.health import OUTAGE_KINDS, HealthBook
from gate_service.routing.keys import UsableKey
from gate_service.routing.keystate_redis import HealthRules, Quota, RedisKeyStore, Snapshot

log = logging.getLogger("spidergate.routing")

POLICY = "each replica routes on its own memory of key health and limits meanwhile"
_KINDS = {
    FailureKind.BAD_REQUEST: "bad",
    FailureKind.AUTH: "auth",
    FailureKind.MODEL_NOT_FOUND: "model",
    FailureKind.RATE_LIMITED: "rate",
}


@dataclass(frozen=True, slots=True)
class Ticket:
    """A request sent on a key: the local book's send time and, when the shared store
    counted it, the store's (ms, Redis clock). Handed back with the outcome."""

    local: float
    shared: int | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    """The shared store would not let this request use the key: ``reason`` is what the
    route trace records as the skip (``invalid``, ``cooldown``, ``no_headroom``...)."""

    reason: str


def rules_of(book: HealthBook) -> HealthRules:
    return HealthRules(
        default_cooldown_s=book.default_cooldown_s,
        quarantine_s=book.quarantine_s,
        max_quarantine_s=book.max_quarantine_s,
        outage_window_s=book.outage_window_s,
        degraded_s=book.degraded_s,
        probe_hold_s=book.probe_hold_s,
        model_cooldown_s=book.model_cooldown_s,
    )


class KeyStates:
    """The local book, and the shared store when there is one."""

    def __init__(
        self,
        book: HealthBook,
        shared: RedisKeyStore | None = None,
        *,
        on_invalid: Callable[[str], Awaitable[Any]] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.book = book
        self.shared = shared
        self._on_invalid = on_invalid
        self._wall = wall_clock
        self._outage = OutageLog(log, "Shared key state (Redis)", POLICY)
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ picking

    async def reserve(self, key: UsableKey, provider: str, model: str) -> Ticket | Refused:
        """Count a request about to be sent on this key, or say why it may not be. A demo
        key (``serve --demo``) lives only in its process, and so does its state: demo keys
        of different deployments share their ids."""
        shared, key_id, limits = self.shared, key.id, key.limits
        if shared is None or key.source == "demo":
            return Ticket(self.book.sent(key_id))
        try:
            snap = await shared.reserve(
                key_id, provider, model, limits.rpm or 0, limits.rpd or 0, secrets.token_hex(8)
            )
        except StoreUnavailable as exc:
            self._outage.failed(str(exc))
            return Ticket(self.book.sent(key_id))
        self._outage.recovered()
        if snap.status != "ok":
            self._adopt(key_id, snap, provider, model)
            return Refused(snap.status)
        local = self.book.sent(key_id)
        self._adopt(key_id, snap, provider, model)
        return Ticket(local, snap.now_ms)

    # ------------------------------------------------------------------ outcomes

    def succeeded(self, key_id: str, headers: Mapping[str, str], ticket: Ticket) -> None:
        """The upstream answered. The shared store hears of it only when it changes
        something there (in the background: the answer does not wait)."""
        state = self.book.key(key_id)
        had_news = state.failures > 0 or state.probe_until > 0
        self.book.succeeded(key_id, headers, sent_at=ticket.local)
        if self.shared is None or ticket.shared is None:
            return
        quota = self._quota(headers)
        if had_news or quota is not None:
            self._spawn(self._shared_succeeded(key_id, ticket.shared, quota))

    def released(self, key_id: str, ticket: Ticket) -> None:
        """Ended without a verdict on the key: frees its probe slot if it was the probe."""
        probing = self.book.key(key_id).probe_until > 0
        self.book.released(key_id, ticket.local)
        if probing and self.shared is not None and ticket.shared is not None:
            self._spawn(self._shared_released(key_id, ticket.shared))

    async def failed(
        self, key_id: str, failure: UpstreamFailure, provider: str, model: str, ticket: Ticket
    ) -> None:
        """An attempt failed: the book's rules, in the shared store first when there is
        one (the next pick, here or on another replica, must already know)."""
        self.book.failed(key_id, failure, provider, model, sent_at=ticket.local)
        if failure.kind is FailureKind.AUTH and self._on_invalid is not None:
            self._spawn(self._persist_invalid(key_id))
        kind = _KINDS.get(failure.kind, "outage" if failure.kind in OUTAGE_KINDS else "")
        if self.shared is None or ticket.shared is None or not kind:
            return  # the store did not count the request (none, down, or a demo key)
        try:
            snap = await self.shared.failed(
                key_id, kind, provider, model, ticket.shared, failure.retry_after_s
            )
        except StoreUnavailable as exc:
            self._outage.failed(str(exc))
            return
        self._outage.recovered()
        self._adopt(key_id, snap, provider, model)

    def mark_invalid(self, key_id: str) -> None:
        """The database says the provider refused this key (read at refresh)."""
        self.book.key(key_id).invalid = True

    async def forget(self, key_id: str) -> None:
        """The key was edited here: a clean record in this book and in the shared store."""
        self.book.forget(key_id)
        if self.shared is not None:
            try:
                await self.shared.forget(key_id)
            except StoreUnavailable as exc:
                self._outage.failed(str(exc))

    async def close(self) -> None:
        """Let the background writes finish (briefly), then close the client."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=2.0)
        if self.shared is not None:
            await self.shared.close()

    # ------------------------------------------------------------------ helpers

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _shared_succeeded(self, key_id: str, sent_ms: int, quota: Quota | None) -> None:
        assert self.shared is not None
        try:
            snap = await self.shared.succeeded(key_id, sent_ms, quota)
        except StoreUnavailable as exc:
            self._outage.failed(str(exc))
            return
        self._adopt(key_id, snap, "", "")

    async def _shared_released(self, key_id: str, sent_ms: int) -> None:
        assert self.shared is not None
        try:
            snap = await self.shared.released(key_id, sent_ms)
        except StoreUnavailable as exc:
            self._outage.failed(str(exc))
            return
        self._adopt(key_id, snap, "", "")

    async def _persist_invalid(self, key_id: str) -> None:
        assert self._on_invalid is not None
        try:
            await self._on_invalid(key_id)
        except Exception:
            log.warning("could not store the invalid mark of key %s; kept in memory", key_id)

    def _quota(self, headers: Mapping[str, str]) -> Quota | None:
        remaining = _header_int(
            headers, "x-ratelimit-remaining-requests", "anthropic-ratelimit-requests-remaining"
        )
        tokens = _header_int(
            headers, "x-ratelimit-remaining-tokens", "anthropic-ratelimit-tokens-remaining"
        )
        if remaining is None and tokens is None:
            return None
        reset = quota_reset_seconds(headers, self._wall())
        return Quota(
            remaining,
            tokens,
            _header_int(
                headers, "x-ratelimit-limit-requests", "anthropic-ratelimit-requests-limit"
            ),
            _header_int(headers, "x-ratelimit-limit-tokens", "anthropic-ratelimit-tokens-limit"),
            reset if reset is not None else 60.0,
        )

    def _adopt(self, key_id: str, snap: Snapshot, provider: str, model: str) -> None:
        """Make the local book say what the shared store says (times moved from the Redis
        clock to the book's)."""
        book = self.book
        local_now = book.clock()
        f = snap.fields

        def at(ms: int | None) -> float:
            return local_now + (ms - snap.now_ms) / 1000 if ms else 0.0

        if snap.status == "model_cooldown":
            book.cool_model(provider, model, at(snap.until_ms))
        s = book.key(key_id)
        s.invalid = f["inv"] == 1
        s.cooldown_until = at(f["cd"])
        s.failures = f["fail"] or 0
        s.degraded_until = at(f["deg"])
        s.quarantine_until = at(f["qu"])
        s.quarantine_s = (f["qs"] or 0) / 1000
        s.outage_at = at(f["oa"]) if f["oa"] else -math.inf
        s.probe_until = at(f["pu"])
        s.remaining_requests, s.limit_requests = f["rr"], f["lr"]
        s.remaining_tokens, s.limit_tokens = f["rt"], f["lt"]
        s.quota_reset_at = at(f["qr"])
        if snap.status == "no_headroom":
            s.full_until = at(snap.until_ms)


def _header_int(headers: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            try:
                return int(float(value))
            except ValueError:
                continue
    return None

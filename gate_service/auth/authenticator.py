"""Per-request authentication with a short-lived in-memory cache.

Every request is authenticated, so the hot path is a regex and a dictionary lookup: a
token seen within the last ``ttl_s`` seconds is answered from memory without hashing or
touching the database. On a miss the token's keyed hash is checked against the filter of
known tokens (:mod:`gate_service.auth.known_tokens`): a token certainly unknown gets its
401 at once, from memory, without a thread hop, a database query or a cache entry (so a
flood of random tokens neither loads the database nor evicts good tokens from the cache).
Other misses go to :class:`IdentityStore` in a worker thread, and concurrent misses for
the same token share one lookup.

One exception keeps a fresh token usable at once: a few filter misses a second
(``miss_lookups_per_s``, 5 by default, in a bucket of as many) still ask the database, so a
token just minted by the CLI or on another replica works on its first request, instead of
after the next refresh of the filter. A flood exhausts that small budget at once and gets
its 401s from memory; the database sees at most those few lookups a second, and a token
minted during a flood is accepted within one refresh interval as stated below.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from gate_service.auth.identity import IdentityStore
from gate_service.auth.lookups import invalid_api_key
from gate_service.auth.principal import Principal
from gate_service.auth.tokens import parse_bearer
from gate_service.errors import GateError


@dataclass(frozen=True, slots=True)
class _Entry:
    """A cached answer: a principal, or the error to raise again."""

    expires_at: float
    principal: Principal | None = None
    error: GateError | None = None


class Authenticator:
    """Turns an ``Authorization`` header into a :class:`Principal`, caching results.

    **Revocation bound**: a token revoked in another process (another replica, or the
    CLI) keeps working here for at most ``ttl_s`` seconds (``Settings.auth_cache_ttl_s``,
    5 s by default), the lifetime of a cached success. A revocation made through this
    process should also call :meth:`invalidate_token` so it takes effect at once.
    Rejections are cached for ``negative_ttl_s`` so a client retrying a bad token does not
    reach the database each time. Once the filter of known tokens is loaded (the core
    refreshes it every ``Settings.refresh_interval_s``), a token minted on another replica
    or by the CLI is accepted within one refresh interval (see
    :mod:`gate_service.auth.known_tokens` for the bound with skewed clocks); before, within
    ``negative_ttl_s``. At most ``max_entries`` tokens are cached; the least recently used
    go first.

    Use one instance per event loop: the cache is not shared between threads.
    """

    def __init__(
        self,
        store: IdentityStore,
        ttl_s: float,
        *,
        negative_ttl_s: float = 2.0,
        max_entries: int = 100_000,
        miss_lookups_per_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        # A token bucket of database lookups for tokens the filter does not know.
        self._miss_rate = miss_lookups_per_s
        self._miss_tokens = miss_lookups_per_s
        self._miss_at = clock()
        self._store = store
        self._ttl_s = ttl_s
        self._negative_ttl_s = negative_ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._inflight: dict[str, asyncio.Task[_Entry]] = {}
        # Bumped by invalidations: a lookup that started before one must not be cached.
        self._generation = 0

    @property
    def ttl_s(self) -> float:
        """The revocation bound across processes, in seconds."""
        return self._ttl_s

    async def authenticate(self, authorization: str | None) -> Principal:
        """The principal for this header value, or a 401 :class:`GateError`."""
        parsed = parse_bearer(authorization)
        token = parsed.raw
        entry = self._cache.get(token)
        if entry is not None:
            if entry.expires_at > self._clock():
                self._cache.move_to_end(token)
                return _answer(entry)
            del self._cache[token]
        task = self._inflight.get(token)
        if task is None:
            known = self._store.known
            if (
                known.ready
                and not known.may_know(self._store.lookup_digest(parsed))
                and not self._take_miss_lookup()
            ):
                raise invalid_api_key()
            task = asyncio.create_task(self._lookup(token))
            self._inflight[token] = task
        # Shielded: one caller going away must not cancel the lookup the others await.
        return _answer(await asyncio.shield(task))

    def _take_miss_lookup(self) -> bool:
        """Whether a token the filter does not know may still ask the database now."""
        now = self._clock()
        self._miss_tokens = min(
            self._miss_rate, self._miss_tokens + (now - self._miss_at) * self._miss_rate
        )
        self._miss_at = now
        if self._miss_tokens >= 1.0:
            self._miss_tokens -= 1.0
            return True
        return False

    async def _lookup(self, token: str) -> _Entry:
        generation = self._generation
        try:
            try:
                principal = await asyncio.to_thread(self._store.authenticate, token)
            except GateError as error:
                if error.http_status != 401:
                    raise
                entry = _Entry(self._clock() + self._negative_ttl_s, error=error)
            else:
                entry = _Entry(self._clock() + self._ttl_s, principal=principal)
            if generation == self._generation:
                self._remember(token, entry)
            return entry
        finally:
            self._inflight.pop(token, None)

    def _remember(self, token: str, entry: _Entry) -> None:
        self._cache[token] = entry
        self._cache.move_to_end(token)
        while len(self._cache) > self._max_entries:
            self._cache.popitem(last=False)

    def invalidate_token(self, token_id: str) -> None:
        """Forget the cached answer for an agent token revoked or changed through this
        process."""
        self._generation += 1
        stale = [
            token
            for token, entry in self._cache.items()
            if entry.principal is not None and entry.principal.token_id == token_id
        ]
        for token in stale:
            del self._cache[token]

    def clear(self) -> None:
        """Forget every cached answer (e.g. after revoking a client credential)."""
        self._generation += 1
        self._cache.clear()

    def __len__(self) -> int:
        return len(self._cache)


def _answer(entry: _Entry) -> Principal:
    if entry.error is not None:
        # A fresh copy each time: re-raising one shared instance would keep growing its
        # traceback and mix up concurrent requests.
        raise dataclasses.replace(entry.error)
    assert entry.principal is not None
    return entry.principal

"""The shared key state in Redis: what every replica knows about each provider key.

Each operation is one Lua script (:mod:`gate_service.routing.keystate_scripts`), so a
check and its write cannot interleave with another replica's, and each answers the
key's whole state (a :class:`Snapshot`) so the caller mirrors it without asking again.
Picking a key costs one round trip (``reserve``); a success costs none unless it says
something new (the key was failing, or the provider reported its quota).

Unavailable Redis is handled as governance's counter store handles it
(:mod:`gate_service.governance.redis_store`): 1 s timeouts, no client-side retries (a
retried ``reserve`` that had run would count a request twice), and after a failure every
call raises :class:`StoreUnavailable` at once for ``retry_after_s`` instead of waiting on
a timeout per request. The caller falls back to its own memory meanwhile.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from gate_service.governance.store import StoreUnavailable
from gate_service.routing import keystate_scripts as scripts

DEFAULT_PREFIX = "sg:keys:"
TIMEOUT_S = 1.0
RETRY_AFTER_S = 1.0
POOL_SIZE = 16
POOL_WAIT_S = 2.0
_UNAVAILABLE: tuple[type[BaseException], ...] = (RedisError, OSError)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A key's shared state right after a script ran, times in the Redis clock's ms.

    ``status`` is ``ok`` or, for a refused reservation, the reason routing records
    (``invalid``, ``cooldown``, ``unhealthy``, ``probing``, ``no_headroom``,
    ``model_cooldown``), which holds until ``until_ms`` (0: until the key is edited).
    ``fields`` maps :data:`~gate_service.routing.keystate_scripts.FIELDS` to their
    values, None when never set.
    """

    status: str
    now_ms: int
    fields: dict[str, int | None]
    until_ms: int

    @classmethod
    def parse(cls, reply: list[Any]) -> Snapshot:
        text = [v.decode() if isinstance(v, bytes) else str(v) for v in reply]
        values = {
            name: (int(v) if v != "" else None)
            for name, v in zip(scripts.FIELDS, text[2:-1], strict=True)
        }
        return cls(text[0], int(text[1]), values, int(text[-1]))


@dataclass(frozen=True, slots=True)
class Quota:
    """What a provider reported about the account in its response headers."""

    remaining_requests: int | None
    remaining_tokens: int | None
    limit_requests: int | None
    limit_tokens: int | None
    reset_s: float


@dataclass(frozen=True, slots=True)
class HealthRules:
    """The health book's numbers, handed to the scripts (``HealthBook`` defaults)."""

    default_cooldown_s: float = 30.0
    quarantine_s: float = 5.0
    max_quarantine_s: float = 30.0
    outage_window_s: float = 1.0
    degraded_s: float = 5.0
    probe_hold_s: float = 10.0
    model_cooldown_s: float = 60.0


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _opt(value: int | float | None) -> str:
    return "" if value is None else str(int(value))


class RedisKeyStore:
    """The scripts over an injected client; keys are ``prefix`` + the layout's names.

    ``clock`` (epoch seconds) replaces the Redis server's clock, for tests only. The
    store owns the client.
    """

    def __init__(
        self,
        client: Redis,
        rules: HealthRules,
        *,
        prefix: str = DEFAULT_PREFIX,
        clock: Callable[[], float] | None = None,
        retry_after_s: float = RETRY_AFTER_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._rules = rules
        self._prefix = prefix
        self._clock = clock
        self._retry_after_s = retry_after_s
        self._monotonic = monotonic
        self._paused_until = float("-inf")
        self._reserve: AsyncScript = client.register_script(scripts.RESERVE)
        self._failed: AsyncScript = client.register_script(scripts.FAILED)
        self._succeeded: AsyncScript = client.register_script(scripts.SUCCEEDED)
        self._released: AsyncScript = client.register_script(scripts.RELEASED)

    @classmethod
    def from_url(
        cls,
        url: str,
        rules: HealthRules,
        *,
        prefix: str = DEFAULT_PREFIX,
        clock: Callable[[], float] | None = None,
    ) -> RedisKeyStore:
        """A store on a new client for ``url``; nothing connects until the first call.
        The pool waits for a free connection rather than failing (as governance's)."""
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=POOL_SIZE,
            timeout=POOL_WAIT_S,
            socket_timeout=TIMEOUT_S,
            socket_connect_timeout=TIMEOUT_S,
            retry=Retry(NoBackoff(), 0),
        )
        return cls(Redis(connection_pool=pool), rules, prefix=prefix, clock=clock)

    def _now(self) -> str:
        return "" if self._clock is None else str(_ms(self._clock()))

    def _key(self, key_id: str) -> str:
        return f"{self._prefix}k:{key_id}"

    def _model(self, provider: str, model: str) -> str:
        return f"{self._prefix}m:{provider}:{model}"

    async def _run(self, script: AsyncScript, keys: list[str], args: list[Any]) -> Snapshot:
        if self._monotonic() < self._paused_until:
            raise StoreUnavailable("Redis failed less than a moment ago; not retried yet")
        try:
            reply = await script(keys=keys, args=args)
        except _UNAVAILABLE as exc:
            self._paused_until = self._monotonic() + self._retry_after_s
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc
        return Snapshot.parse(reply)

    async def reserve(
        self, key_id: str, provider: str, model: str, rpm: int, rpd: int, member: str
    ) -> Snapshot:
        """Check every reason not to use the key and, if none holds, count this request
        against its minute and day windows (and make it the probe of a half-open key),
        in one step. ``rpm``/``rpd`` 0: no limit. ``member`` names the request."""
        key = self._key(key_id)
        keys = [key, key + ":m", key + ":d", self._model(provider, model)]
        args = [self._now(), rpm, rpd, member, _ms(self._rules.probe_hold_s)]
        return await self._run(self._reserve, keys, args)

    async def failed(
        self,
        key_id: str,
        kind: str,
        provider: str,
        model: str,
        sent_ms: int | None,
        retry_after_s: float | None,
    ) -> Snapshot:
        """An attempt failed: ``kind`` is ``bad``, ``auth``, ``model``, ``rate`` or
        ``outage`` (the health book's classes of failure)."""
        rules = self._rules
        args = [
            self._now(),
            kind,
            _opt(sent_ms),
            "" if retry_after_s is None else str(_ms(retry_after_s)),
            _ms(rules.default_cooldown_s),
            _ms(rules.model_cooldown_s),
            _ms(rules.quarantine_s),
            _ms(rules.max_quarantine_s),
            _ms(rules.outage_window_s),
            _ms(rules.degraded_s),
        ]
        keys = [self._key(key_id), self._model(provider, model)]
        return await self._run(self._failed, keys, args)

    async def succeeded(self, key_id: str, sent_ms: int | None, quota: Quota | None) -> Snapshot:
        args: list[Any] = [self._now(), _opt(sent_ms)]
        if quota is None:
            args += ["0", "", "", "", "", "0"]
        else:
            args += [
                "1",
                _opt(quota.remaining_requests),
                _opt(quota.remaining_tokens),
                _opt(quota.limit_requests),
                _opt(quota.limit_tokens),
                _ms(quota.reset_s),
            ]
        return await self._run(self._succeeded, [self._key(key_id)], args)

    async def released(self, key_id: str, sent_ms: int) -> Snapshot:
        return await self._run(self._released, [self._key(key_id)], [self._now(), sent_ms])

    async def forget(self, key_id: str) -> None:
        """Start the key over (it was edited): its state and its windows go."""
        if self._monotonic() < self._paused_until:
            raise StoreUnavailable("Redis failed less than a moment ago; not retried yet")
        key = self._key(key_id)
        try:
            await self._client.delete(key, key + ":m", key + ":d")
        except _UNAVAILABLE as exc:
            self._paused_until = self._monotonic() + self._retry_after_s
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        with contextlib.suppress(*_UNAVAILABLE):
            await self._client.aclose(close_connection_pool=True)

"""The shared response cache, for deployments that set ``redis_url``.

Policy when Redis is unreachable or misbehaving: the cache is an optimisation, never a
dependency. Every failed ``GET`` is a miss and every failed ``SET`` is a no-op, so the
gateway keeps answering from providers. The failure is logged as ONE warning per minute at
most (with the number of failures suppressed since the last one), not once per request,
so an outage does not flood the logs; recovery is logged once at INFO.

A dead Redis must not stall requests either: ``from_url`` uses 0.25 s socket and connect
timeouts and no client-side retries, and after a failure the cache answers misses without
touching Redis for ``retry_after_s`` (1 s), so a blackholed host costs one request per
second a timeout instead of every request. Values are orjson bytes written with
``SET key value EX ttl``, so Redis itself expires them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from gate_service.cache.codec import decode_completion, encode_completion
from gate_service.domain import Completion

log = logging.getLogger("spidergate.cache")

DEFAULT_TIMEOUT_S = 0.25
WARN_INTERVAL_S = 60.0
RETRY_AFTER_S = 1.0

# Everything a down, slow or confused server can raise. redis-py wraps most socket
# errors in its own ConnectionError / TimeoutError; OSError (which includes the builtin
# TimeoutError) covers the ones it lets through. Programming errors still propagate.
_UNAVAILABLE: tuple[type[BaseException], ...] = (RedisError, OSError)


class RedisCache:
    """``ResponseCache`` over an injected ``redis.asyncio.Redis`` client.

    The cache owns the client: ``close`` closes it. The client must return raw bytes or
    str (either decodes). ``clock`` paces the warnings and the retry pause.
    """

    def __init__(
        self,
        client: Redis,
        *,
        clock: Callable[[], float] = time.monotonic,
        warn_interval_s: float = WARN_INTERVAL_S,
        retry_after_s: float = RETRY_AFTER_S,
    ) -> None:
        self._client = client
        self._clock = clock
        self._warn_interval_s = warn_interval_s
        self._retry_after_s = retry_after_s
        self._paused_until = float("-inf")
        self._last_warning_at: float | None = None
        self._suppressed = 0
        self._failing = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retry_after_s: float = RETRY_AFTER_S,
    ) -> RedisCache:
        """A cache on a new client for ``url`` (``redis://``, ``rediss://``, ``unix://``).

        Nothing connects here: the first command opens the connection. Options in the
        URL's query string (e.g. ``?socket_timeout=1``) override the defaults.
        """
        # A pool that waits for a free connection: redis-py's default one raises "Too many
        # connections" past 100 concurrent commands, which would read as an outage.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=16,
            timeout=timeout_s,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            # redis-py retries three times with backoff by default: seconds of stall
            # per request against a dead server. A cache miss is cheaper.
            retry=Retry(NoBackoff(), 0),
        )
        return cls(Redis(connection_pool=pool), retry_after_s=retry_after_s)

    async def get(self, key: str) -> Completion | None:
        data = await self.get_bytes(key)
        return None if data is None else decode_completion(data)

    async def set(self, key: str, completion: Completion, ttl_s: int) -> None:
        await self.set_bytes(key, encode_completion(completion), ttl_s)

    async def get_bytes(self, key: str) -> bytes | None:
        if self._paused():
            return None
        try:
            data = await self._client.get(key)
        except _UNAVAILABLE as exc:
            self._failed("GET", exc)
            return None
        self._succeeded()
        return data.encode() if isinstance(data, str) else data

    async def set_bytes(self, key: str, data: bytes | None, ttl_s: int) -> None:
        if ttl_s <= 0 or data is None or self._paused():
            return
        try:
            await self._client.set(key, data, ex=ttl_s)
        except _UNAVAILABLE as exc:
            self._failed("SET", exc)
            return
        self._succeeded()

    async def close(self) -> None:
        try:
            await self._client.aclose()
        except _UNAVAILABLE as exc:  # closing a broken connection is not news
            log.debug("closing the Redis cache client: %r", exc)

    def _paused(self) -> bool:
        return self._clock() < self._paused_until

    def _failed(self, command: str, exc: BaseException) -> None:
        now = self._clock()
        self._failing = True
        self._paused_until = now + self._retry_after_s
        if (
            self._last_warning_at is not None
            and now - self._last_warning_at < self._warn_interval_s
        ):
            self._suppressed += 1
            return
        log.warning(
            "Redis response cache unavailable (%s: %s: %s); answering as cache misses "
            "(%d more failure(s) since the last warning; next warning in %.0f s at the earliest)",
            command,
            type(exc).__name__,
            exc,
            self._suppressed,
            self._warn_interval_s,
        )
        self._last_warning_at = now
        self._suppressed = 0

    def _succeeded(self) -> None:
        if self._failing:
            self._failing = False
            log.info("Redis response cache reachable again")

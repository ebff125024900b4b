"""Exact-match response cache: a repeated request answered without calling a provider.

A client opts in per request (``spidergate_options.cache_enabled``, with
``cache_ttl_seconds`` from 60 to 86400, default 3600). The router's part is:

    enabled, ttl_s = cacheable(body)
    if enabled:
        key = cache_key(client_id, body)        # the body as the client sent it
        if (stored := await cache.get(key)) is not None:
            return prepare_hit(stored, request_id=rid, latency_ms=elapsed_ms)
    ...answer from a provider...
    if enabled and answered_successfully:
        await cache.set(key, completion, ttl_s)

Keys include the brand's ``client_id``, so one brand never sees another's answers.
``create_cache`` picks the backend once at start-up: in memory for the embedded default,
Redis when ``redis_url`` is configured. Neither backend raises for an unavailable store:
a cache problem is a miss, never a failed request.
"""

from __future__ import annotations

import dataclasses
import secrets

from gate_service.cache.base import ResponseCache
from gate_service.cache.key import cache_key
from gate_service.cache.memory import MemoryCache
from gate_service.cache.redis_cache import RedisCache
from gate_service.domain import ChatRequest, Completion, Metadata
from gate_service.domain.embeddings import EmbeddingRequest

__all__ = [
    "DEFAULT_TTL_S",
    "MAX_TTL_S",
    "MIN_TTL_S",
    "MemoryCache",
    "RedisCache",
    "ResponseCache",
    "cache_key",
    "cacheable",
    "create_cache",
    "prepare_hit",
]

DEFAULT_TTL_S = 3600
MIN_TTL_S = 60
MAX_TTL_S = 86_400


def create_cache(redis_url: str | None) -> ResponseCache:
    """The cache for this process: Redis at ``redis_url`` if set, else in memory.

    Does not connect: a Redis that is down at start-up only means misses until it is up.
    """
    if redis_url:
        return RedisCache.from_url(redis_url)
    return MemoryCache()


def cacheable(request: ChatRequest | EmbeddingRequest) -> tuple[bool, int]:
    """(cache enabled?, TTL in seconds) from the request's ``spidergate_options``.

    Only ``true`` enables the cache. The TTL is clamped to 60-86400 as a second line of
    defence (validation already answers 400 outside that range).
    """
    options = request.options
    enabled = options.cache_enabled is True
    ttl = options.cache_ttl_seconds
    if ttl is None:
        return enabled, DEFAULT_TTL_S
    return enabled, min(max(ttl, MIN_TTL_S), MAX_TTL_S)


def prepare_hit(completion: Completion, *, request_id: str, latency_ms: float) -> Completion:
    """A copy of a stored ``completion``, made into this request's answer.

    New ``id`` (every response has its own), ``cache_hit: true`` and ``cost_usd: 0`` (no
    provider was paid), this request's ``latency_ms`` and ``request_id``. Kept: ``model``,
    ``provider``, ``fallback_used`` and ``original_model`` (they describe who produced
    the answer), ``created`` and ``usage`` (when and at what token size it was produced).
    ``route_trace`` is dropped: it described the attempts of the original request, and
    this one made none. ``completion`` itself is not modified (the copy shares the
    choices and usage, which nothing downstream edits: the backends decode a fresh
    object on every read).
    """
    metadata = dataclasses.replace(completion.metadata or Metadata())
    metadata.extra = {k: v for k, v in metadata.extra.items() if k != "route_trace"}
    metadata.cache_hit = True
    metadata.cost_usd = 0.0
    metadata.latency_ms = latency_ms
    metadata.request_id = request_id
    return dataclasses.replace(
        completion, id="chatcmpl-" + secrets.token_hex(12), metadata=metadata, route_trace=[]
    )

"""The exact-match cache for embeddings: the chat cache's store, key rules and TTLs
(:mod:`gate_service.cache`), with a key and a stored form of their own.

The key hashes the brand's ``client_id`` with the canonical JSON of what decides the
vectors: the model asked for, the input, ``dimensions``, unknown fields (passed upstream)
and the routing options (a client that excluded a provider must not get its vectors);
not ``encoding_format`` (the same vectors, written two ways), ``user``, nor the cache's
and retries' own knobs. Its prefix keeps it apart from chat's keys.

The stored form is orjson of the vectors as base64 (the bytes exactly) plus the served
model, the usage and the metadata; a hit is billed 0 (``cost_usd`` 0, ``cache_hit``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from typing import Any

import orjson

from gate_service.cache import ResponseCache, cacheable
from gate_service.cache.key import IGNORED_OPTIONS, KEY_PREFIX
from gate_service.domain import Metadata, Usage
from gate_service.domain.embeddings import (
    EmbeddingAnswer,
    EmbeddingRequest,
    base64_vector,
    vector_base64,
)

EMBEDDINGS_PREFIX = KEY_PREFIX + "embeddings:"


def embeddings_cache_key(client_id: str, request: EmbeddingRequest) -> str:
    options = {
        k: v
        for k, v in dataclasses.asdict(request.options).items()
        if k not in IGNORED_OPTIONS and k != "present" and v not in (None, (), [], {})
    }
    question = {
        "model": request.model,
        "input": request.texts or request.token_arrays,
        "dimensions": request.dimensions,
        "extra": request.extra,
        "options": options,
    }
    digest = hashlib.sha256()
    digest.update(orjson.dumps(client_id))
    digest.update(orjson.dumps(question, option=orjson.OPT_SORT_KEYS))
    return EMBEDDINGS_PREFIX + digest.hexdigest()


def encode_answer(answer: EmbeddingAnswer) -> bytes:
    meta = answer.metadata or Metadata()
    return orjson.dumps(
        {
            "vectors": [vector_base64(v) for v in answer.vectors],
            "model": answer.model,
            "prompt_tokens": answer.usage.prompt_tokens,
            "total_tokens": answer.usage.total_tokens,
            "provider": meta.provider,
            "provider_model": meta.provider_model,
            "fallback_used": meta.fallback_used,
            "original_model": meta.original_model,
        }
    )


def decode_answer(data: bytes) -> EmbeddingAnswer | None:
    """The stored answer, or None for anything unreadable (a miss, then overwritten)."""
    try:
        value: Any = orjson.loads(data)
        vectors = [base64_vector(v) for v in value["vectors"]]
        meta = Metadata(
            provider=str(value["provider"]),
            provider_model=str(value["provider_model"]),
            fallback_used=bool(value["fallback_used"]),
            original_model=str(value["original_model"]),
        )
        usage = Usage(
            prompt_tokens=int(value["prompt_tokens"]), total_tokens=int(value["total_tokens"])
        )
        return EmbeddingAnswer(vectors, str(value["model"]), usage, meta)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


class EmbeddingsCache:
    """Lookups and stores of one embedding request in the shared response cache."""

    def __init__(self, cache: ResponseCache | None) -> None:
        self._cache = cache

    def key(self, client_id: str | None, request: EmbeddingRequest) -> tuple[str | None, int]:
        """(the key, its TTL), or (None, 0) when this request is not cached."""
        enabled, ttl = cacheable(request)
        if not enabled or self._cache is None or client_id is None:
            return None, 0
        return embeddings_cache_key(client_id, request), ttl

    async def get(self, key: str, request_id: str) -> EmbeddingAnswer | None:
        """A stored answer made into this request's: a hit, billed nothing."""
        assert self._cache is not None
        started = time.perf_counter()
        data = await self._cache.get_bytes(key)
        answer = decode_answer(data) if data is not None else None
        if answer is None or answer.metadata is None:
            return None
        answer.metadata.cache_hit = True
        answer.metadata.cost_usd = 0.0
        answer.metadata.request_id = request_id
        answer.metadata.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        return answer

    async def set(self, key: str, answer: EmbeddingAnswer, ttl_s: int) -> None:
        assert self._cache is not None
        await self._cache.set_bytes(key, encode_answer(answer), ttl_s)

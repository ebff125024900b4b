"""The embeddings cache key and stored form (the store is the chat cache's)."""

from __future__ import annotations

from array import array

from gate_service.cache import MemoryCache
from gate_service.domain import Metadata, SpidergateOptions, Usage
from gate_service.domain.embeddings import EmbeddingAnswer, EmbeddingRequest
from gate_service.embeddings.cache import (
    EmbeddingsCache,
    decode_answer,
    embeddings_cache_key,
    encode_answer,
)


def _req(**kw: object) -> EmbeddingRequest:
    base: dict[str, object] = {"model": "agent/embed", "texts": ["a", "b"]}
    return EmbeddingRequest(**{**base, **kw})  # type: ignore[arg-type]


def test_key_is_per_brand_and_per_question() -> None:
    key = embeddings_cache_key("brand-1", _req())
    assert key == embeddings_cache_key("brand-1", _req(encoding_format="base64", user="x"))
    assert key == embeddings_cache_key(
        "brand-1", _req(options=SpidergateOptions(cache_enabled=True, cache_ttl_seconds=60))
    )
    assert key != embeddings_cache_key("brand-2", _req())
    assert key != embeddings_cache_key("brand-1", _req(texts=["a", "c"]))
    assert key != embeddings_cache_key("brand-1", _req(dimensions=64))
    assert key != embeddings_cache_key(
        "brand-1", _req(options=SpidergateOptions(excluded_providers=("openai",)))
    )


def test_stored_form_round_trips_the_bytes() -> None:
    answer = EmbeddingAnswer(
        [array("f", [0.1, 0.2]).tobytes()],
        "text-embedding-3-small",
        Usage(prompt_tokens=3, total_tokens=3),
        Metadata(provider="openai", provider_model="text-embedding-3-small", cost_usd=0.5),
    )
    back = decode_answer(encode_answer(answer))
    assert back is not None and back.vectors == answer.vectors
    assert back.usage.prompt_tokens == 3 and back.metadata is not None
    assert back.metadata.provider == "openai"
    assert decode_answer(b"{not json") is None and decode_answer(b'{"vectors": 1}') is None


async def test_a_hit_is_marked_and_billed_nothing() -> None:
    cache = EmbeddingsCache(MemoryCache())
    req = _req(options=SpidergateOptions(cache_enabled=True))
    key, ttl = cache.key("brand", req)
    assert key is not None and ttl == 3600
    assert cache.key(None, req) == (None, 0) and cache.key("brand", _req()) == (None, 0)
    stored = EmbeddingAnswer([b"\0\0\0\0"], "m", Usage(1, 0, 1), Metadata(cost_usd=0.2))
    await cache.set(key, stored, ttl)
    hit = await cache.get(key, "rid-1")
    assert hit is not None and hit.metadata is not None
    assert hit.metadata.cache_hit and hit.metadata.cost_usd == 0
    assert hit.metadata.request_id == "rid-1" and hit.vectors == [b"\0\0\0\0"]

"""The package's small helpers: backend choice, opt-in parsing, and the shape of a hit."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from gate_service.cache import (
    MemoryCache,
    RedisCache,
    cacheable,
    create_cache,
    prepare_hit,
)


async def test_create_cache_is_memory_without_a_url() -> None:
    cache = create_cache(None)
    assert isinstance(cache, MemoryCache)
    await cache.close()
    assert isinstance(create_cache(""), MemoryCache)


async def test_create_cache_is_redis_with_a_url_and_does_not_connect() -> None:
    cache = create_cache("redis://127.0.0.1:1/0")  # closed port: must not fail here
    assert isinstance(cache, RedisCache)
    await cache.close()


@pytest.mark.parametrize(
    ("request_body", "expected"),
    [
        ({}, (False, 3600)),
        ({"spidergate_options": None}, (False, 3600)),
        ({"spidergate_options": {"max_cost_usd": 1}}, (False, 3600)),
        ({"spidergate_options": {"cache_enabled": True}}, (True, 3600)),
        ({"spidergate_options": {"cache_enabled": "true"}}, (False, 3600)),
        ({"spidergate_options": {"cache_enabled": False, "cache_ttl_seconds": 120}}, (False, 120)),
        ({"spidergate_options": {"cache_enabled": True, "cache_ttl_seconds": 120}}, (True, 120)),
        ({"spidergate_options": {"cache_enabled": True, "cache_ttl_seconds": 90.9}}, (True, 90)),
        ({"spidergate_options": {"cache_enabled": True, "cache_ttl_seconds": 5}}, (True, 60)),
        (
            {"spidergate_options": {"cache_enabled": True, "cache_ttl_seconds": 10**9}},
            (True, 86400),
        ),
        ({"spidergate_options": {"cache_enabled": True, "cache_ttl_seconds": True}}, (True, 3600)),
        ({"spidergate_options": {"cache_enabled": True, "cache_ttl_seconds": "60"}}, (True, 3600)),
    ],
)
def test_cacheable(request_body: dict[str, Any], expected: tuple[bool, int]) -> None:
    assert cacheable(request_body) == expected


def stored() -> dict[str, Any]:
    return {
        "id": "chatcmpl-aaaaaaaaaaaaaaaaaaaaaaaa",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "llama-3.1-8b-instant",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
        "route_trace": [{"provider": "groq", "outcome": "ok"}],
        "spidergate_metadata": {
            "provider": "groq",
            "provider_model": "llama-3.1-8b-instant",
            "latency_ms": 812.0,
            "cost_usd": 0.0001,
            "cache_hit": False,
            "fallback_used": True,
            "original_model": "gpt-4o",
            "request_id": "req-original",
        },
    }


def test_prepare_hit_shape() -> None:
    original = stored()
    hit = prepare_hit(original, request_id="req-new", latency_ms=1.5)
    assert re.fullmatch(r"chatcmpl-[0-9a-f]{24}", hit["id"])
    assert hit["id"] != original["id"]
    assert "route_trace" not in hit
    assert hit["spidergate_metadata"] == {
        "provider": "groq",
        "provider_model": "llama-3.1-8b-instant",
        "latency_ms": 1.5,
        "cost_usd": 0.0,
        "cache_hit": True,
        "fallback_used": True,
        "original_model": "gpt-4o",
        "request_id": "req-new",
    }
    unchanged = ("object", "created", "model", "choices", "usage")
    assert {k: hit[k] for k in unchanged} == {k: original[k] for k in unchanged}


def test_prepare_hit_leaves_the_stored_completion_alone() -> None:
    original = stored()
    before = copy.deepcopy(original)
    hit = prepare_hit(original, request_id="r", latency_ms=0.0)
    hit["choices"][0]["message"]["content"] = "changed"
    assert original == before


def test_prepare_hit_gives_every_hit_its_own_id() -> None:
    ids = {prepare_hit(stored(), request_id="r", latency_ms=0.0)["id"] for _ in range(50)}
    assert len(ids) == 50


def test_prepare_hit_adds_metadata_when_missing() -> None:
    bare = {k: v for k, v in stored().items() if k != "spidergate_metadata"}
    metadata = prepare_hit(bare, request_id="r", latency_ms=2.0)["spidergate_metadata"]
    assert metadata == {"cache_hit": True, "cost_usd": 0.0, "latency_ms": 2.0, "request_id": "r"}

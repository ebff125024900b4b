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
)
from gate_service.cache import prepare_hit as _prepare_hit
from gate_service.domain import Metadata
from gate_service.domain.openai_json import completion_from_json, completion_to_json
from gate_service.errors import GateError
from tests.domain.build import chat_request


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
        ({"spidergate_options": {}}, (False, 3600)),
        ({"spidergate_options": {"max_cost_usd": 1}}, (False, 3600)),
        ({"spidergate_options": {"cache_enabled": True}}, (True, 3600)),
        ({"spidergate_options": {"cache_enabled": False, "cache_ttl_seconds": 120}}, (False, 120)),
        ({"spidergate_options": {"cache_enabled": True, "cache_ttl_seconds": 120}}, (True, 120)),
        ({"spidergate_options": {"cache_enabled": True, "cache_ttl_seconds": 90.0}}, (True, 90)),
        ({"spidergate_options": {"cache_enabled": True, "cache_ttl_seconds": 5}}, (True, 60)),
        (
            {"spidergate_options": {"cache_enabled": True, "cache_ttl_seconds": 10**9}},
            (True, 86400),
        ),
    ],
)
def test_cacheable(request_body: dict[str, Any], expected: tuple[bool, int]) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], **request_body}
    assert cacheable(chat_request(body)) == expected


@pytest.mark.parametrize(
    "options",
    [
        {"cache_enabled": "true"},
        {"cache_enabled": True, "cache_ttl_seconds": 90.9},
        {"cache_enabled": True, "cache_ttl_seconds": True},
        {"cache_enabled": True, "cache_ttl_seconds": "60"},
    ],
)
def test_wrongly_typed_cache_options_never_reach_the_cache(options: dict[str, Any]) -> None:
    """Options are typed once: these are a 400 naming the option, never a silent default."""
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    with pytest.raises(GateError) as caught:
        chat_request(body | {"spidergate_options": options})
    assert (caught.value.param or "").startswith("spidergate_options.cache_")


def prepare_hit(completion: dict[str, Any], *, request_id: str, latency_ms: float) -> Any:
    """The hit as the client sees it (JSON), from a stored completion written as JSON."""
    hit = _prepare_hit(
        completion_from_json(completion), request_id=request_id, latency_ms=latency_ms
    )
    return completion_to_json(hit)


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
    original = completion_to_json(completion_from_json(stored()))  # as a client sees it
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
    original = completion_from_json(stored())
    before = copy.deepcopy(original)
    hit = _prepare_hit(original, request_id="r", latency_ms=0.0)
    assert hit.metadata is not None
    hit.metadata.extra["edited"] = True
    assert original == before


def test_prepare_hit_gives_every_hit_its_own_id() -> None:
    ids = {prepare_hit(stored(), request_id="r", latency_ms=0.0)["id"] for _ in range(50)}
    assert len(ids) == 50


def test_prepare_hit_adds_metadata_when_missing() -> None:
    bare = {k: v for k, v in stored().items() if k != "spidergate_metadata"}
    hit = _prepare_hit(completion_from_json(bare), request_id="r", latency_ms=2.0)
    assert hit.metadata == Metadata(cache_hit=True, cost_usd=0.0, latency_ms=2.0, request_id="r")

"""MemoryCache: TTL with an injected clock, LRU by count and by bytes, copies out."""

from __future__ import annotations

import orjson
import pytest

from gate_service.cache import MemoryCache, ResponseCache
from gate_service.domain import Completion
from gate_service.domain.openai_json import completion_from_json, completion_to_json


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def completion(text: str = "hello") -> Completion:
    return completion_from_json(
        {
            "id": "chatcmpl-000000000000000000000000",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
        }
    )


def entry_size(key: str, value: Completion) -> int:
    return len(orjson.dumps(completion_to_json(value))) + len(key)


def test_is_a_response_cache() -> None:
    assert isinstance(MemoryCache(), ResponseCache)


def test_rejects_non_positive_bounds() -> None:
    with pytest.raises(ValueError):
        MemoryCache(max_entries=0)
    with pytest.raises(ValueError):
        MemoryCache(max_bytes=0)


async def test_round_trip_and_miss() -> None:
    cache = MemoryCache()
    await cache.set("k", completion(), 60)
    assert await cache.get("k") == completion()
    assert await cache.get("other") is None


async def test_returned_dicts_are_copies() -> None:
    cache = MemoryCache()
    original = completion()
    await cache.set("k", original, 60)
    original.choices[0].message.content = "edited after set"
    first = await cache.get("k")
    assert first is not None
    first.choices[0].message.content = "edited after get"
    assert await cache.get("k") == completion()


async def test_entry_expires_after_its_ttl() -> None:
    clock = Clock()
    cache = MemoryCache(clock=clock)
    await cache.set("k", completion(), 60)
    clock.now += 59.9
    assert await cache.get("k") is not None
    clock.now += 0.1
    assert await cache.get("k") is None
    assert len(cache) == 0
    assert cache.size_bytes == 0


async def test_set_purges_expired_entries_nobody_reads() -> None:
    clock = Clock()
    cache = MemoryCache(clock=clock)
    await cache.set("short", completion(), 10)
    await cache.set("long", completion(), 1000)
    clock.now += 11
    await cache.set("new", completion(), 1000)
    assert len(cache) == 2
    assert cache.size_bytes == entry_size("long", completion()) + entry_size("new", completion())


async def test_overwrite_resets_ttl_and_keeps_size_exact() -> None:
    clock = Clock()
    cache = MemoryCache(clock=clock)
    await cache.set("k", completion("old"), 10)
    clock.now += 5
    await cache.set("k", completion("new"), 10)
    clock.now += 6  # past the first expiry, within the second
    await cache.set("other", completion(), 10)  # runs the purge
    assert await cache.get("k") == completion("new")
    assert cache.size_bytes == entry_size("k", completion("new")) + entry_size(
        "other", completion()
    )


async def test_non_positive_ttl_is_not_stored() -> None:
    cache = MemoryCache()
    await cache.set("k", completion(), 0)
    assert await cache.get("k") is None


async def test_lru_eviction_by_count() -> None:
    cache = MemoryCache(max_entries=2)
    await cache.set("a", completion("a"), 60)
    await cache.set("b", completion("b"), 60)
    assert await cache.get("a") is not None  # a is now the most recently used
    await cache.set("c", completion("c"), 60)
    assert await cache.get("b") is None
    assert await cache.get("a") == completion("a")
    assert await cache.get("c") == completion("c")


async def test_lru_eviction_by_bytes() -> None:
    one = entry_size("a", completion("a"))
    cache = MemoryCache(max_bytes=one * 2 + one // 2)
    await cache.set("a", completion("a"), 60)
    await cache.set("b", completion("b"), 60)
    assert await cache.get("a") is not None
    await cache.set("c", completion("c"), 60)
    assert await cache.get("b") is None
    assert await cache.get("a") is not None
    assert await cache.get("c") is not None
    assert cache.size_bytes <= one * 2 + one // 2


async def test_entry_larger_than_the_whole_budget_is_not_stored() -> None:
    cache = MemoryCache(max_bytes=300)
    await cache.set("small", completion(), 60)
    await cache.set("big", completion("x" * 500), 60)
    assert await cache.get("big") is None
    assert await cache.get("small") is not None


async def test_unencodable_completion_is_skipped_not_raised() -> None:
    cache = MemoryCache()
    unencodable = completion()
    unencodable.extra["huge"] = 2**70
    await cache.set("k", unencodable, 60)
    assert await cache.get("k") is None


async def test_expiry_heap_stays_bounded_under_overwrites() -> None:
    cache = MemoryCache()
    for _ in range(1000):
        await cache.set("k", completion(), 3600)
    assert len(cache) == 1
    assert len(cache._expiries) <= 2 * len(cache) + 65


async def test_close_empties_the_cache() -> None:
    cache = MemoryCache()
    await cache.set("k", completion(), 60)
    await cache.close()
    assert len(cache) == 0
    assert cache.size_bytes == 0
    assert await cache.get("k") is None

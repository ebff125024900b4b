"""RedisCache against a real Redis (127.0.0.1:6379 unless SPIDERGATE_TEST_REDIS_URL says
otherwise), and its policy when Redis is down: misses, quickly, with one warning."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

import orjson
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError, RedisError

from gate_service.cache import RedisCache, ResponseCache
from gate_service.domain import Completion
from gate_service.domain.openai_json import completion_from_json, completion_to_json

REDIS_URL = os.environ.get("SPIDERGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"
LOGGER = "spidergate.cache"


def completion(text: str = "hello") -> Completion:
    return completion_from_json(
        {
            "id": "chatcmpl-000000000000000000000000",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}}],
            "spidergate_metadata": {"cache_hit": False, "cost_usd": 0.0012},
        }
    )


@pytest.fixture
async def live() -> AsyncIterator[tuple[RedisCache, Redis, str]]:
    """(cache under test, a separate admin client, a key prefix unique to this test)."""
    admin = Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        await admin.ping()
    except (RedisError, OSError) as exc:
        await admin.aclose()
        message = (
            f"Redis is not reachable at {REDIS_URL} ({type(exc).__name__}: {exc}); start a "
            "Redis server there (or set SPIDERGATE_TEST_REDIS_URL) to run the RedisCache tests"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"sg:test:{uuid.uuid4().hex}:"
    cache = RedisCache.from_url(REDIS_URL)
    try:
        yield cache, admin, prefix
    finally:
        await cache.close()
        keys = [k async for k in admin.scan_iter(match=prefix + "*")]
        if keys:
            await admin.delete(*keys)
        await admin.aclose()


async def test_is_a_response_cache(live: tuple[RedisCache, Redis, str]) -> None:
    assert isinstance(live[0], ResponseCache)


async def test_round_trip_stores_orjson_bytes(live: tuple[RedisCache, Redis, str]) -> None:
    cache, admin, prefix = live
    await cache.set(prefix + "k", completion(), 120)
    assert await admin.get(prefix + "k") == orjson.dumps(completion_to_json(completion()))
    assert await cache.get(prefix + "k") == completion()
    assert await cache.get(prefix + "missing") is None


async def test_set_gives_the_key_its_ttl(live: tuple[RedisCache, Redis, str]) -> None:
    cache, admin, prefix = live
    await cache.set(prefix + "k", completion(), 120)
    assert 115 <= await admin.ttl(prefix + "k") <= 120


async def test_non_positive_ttl_is_not_stored(live: tuple[RedisCache, Redis, str]) -> None:
    cache, admin, prefix = live
    await cache.set(prefix + "k", completion(), 0)
    assert await admin.exists(prefix + "k") == 0


async def test_returned_dicts_are_fresh(live: tuple[RedisCache, Redis, str]) -> None:
    cache, _, prefix = live
    await cache.set(prefix + "k", completion(), 60)
    first = await cache.get(prefix + "k")
    assert first is not None
    first.choices.clear()
    assert await cache.get(prefix + "k") == completion()


async def test_corrupt_value_is_a_miss(live: tuple[RedisCache, Redis, str]) -> None:
    cache, admin, prefix = live
    await admin.set(prefix + "junk", b"not json", ex=60)
    await admin.set(prefix + "list", b"[1, 2]", ex=60)
    assert await cache.get(prefix + "junk") is None
    assert await cache.get(prefix + "list") is None


def warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


@pytest.mark.parametrize("retry_after_s", [1.0, 0.0], ids=["default", "no-pause"])
async def test_closed_port_gives_fast_misses_and_one_warning(
    caplog: pytest.LogCaptureFixture, retry_after_s: float
) -> None:
    """With ``retry_after_s=0`` every call really dials the closed port: this checks that
    redis-py's own retries and backoff are off, not just the pause."""
    caplog.set_level(logging.WARNING, logger=LOGGER)
    cache = RedisCache.from_url(CLOSED_PORT_URL, retry_after_s=retry_after_s)
    started = time.monotonic()
    for i in range(10):
        assert await cache.get(f"k{i}") is None
        await cache.set(f"k{i}", completion(), 60)
    elapsed = time.monotonic() - started
    await cache.close()
    assert elapsed < 1.0
    assert len(warnings(caplog)) == 1


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FlakyClient:
    """Stands in for redis.asyncio.Redis: fails while ``down``, counts the calls."""

    def __init__(self) -> None:
        self.down = True
        self.calls = 0
        self.data: dict[str, bytes] = {}

    async def get(self, key: str) -> bytes | None:
        self.calls += 1
        if self.down:
            raise ConnectionError("Connection refused")
        return self.data.get(key)

    async def set(self, key: str, value: bytes, ex: int) -> None:
        self.calls += 1
        if self.down:
            raise ConnectionError("Connection refused")
        self.data[key] = value

    async def aclose(self) -> None:
        pass


def flaky_cache(**kw: Any) -> tuple[RedisCache, FlakyClient, Clock]:
    client, clock = FlakyClient(), Clock()
    return RedisCache(cast(Redis, client), clock=clock, **kw), client, clock


async def test_at_most_one_warning_per_minute(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    cache, client, clock = flaky_cache(retry_after_s=0.0)
    for _ in range(5):
        assert await cache.get("k") is None
    clock.now += 59
    await cache.set("k", completion(), 60)
    assert client.calls == 6
    assert len(warnings(caplog)) == 1
    clock.now += 1
    assert await cache.get("k") is None
    assert len(warnings(caplog)) == 2
    assert "5 more failure(s)" in warnings(caplog)[1].getMessage()


async def test_pauses_after_a_failure_then_recovers(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    cache, client, clock = flaky_cache(retry_after_s=1.0)
    assert await cache.get("k") is None
    client.down = False
    await cache.set("k", completion(), 60)
    assert await cache.get("k") is None
    assert client.calls == 1  # both answered without touching Redis
    clock.now += 1
    await cache.set("k", completion(), 60)
    assert await cache.get("k") == completion()
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO] == [
        "Redis response cache reachable again"
    ]

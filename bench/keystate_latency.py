"""What shared key state adds to picking a key: ``KeyStates.reserve`` embedded (the book
alone) against Redis (one script round trip), sequential and 32 at a time.

    python -m bench.keystate_latency [redis://127.0.0.1:6379/0]

Writes only keys under a random ``sg:bench:keys:<hex>:`` prefix, deleted at the end.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
import uuid

from redis.asyncio import Redis

from gate_service.routing.health import HealthBook, Limits
from gate_service.routing.keys import UsableKey
from gate_service.routing.keystate_redis import RedisKeyStore
from gate_service.routing.keystates import KeyStates, rules_of

N = 2000
LIMITS = Limits(rpm=1_000_000, rpd=10_000_000)
KEYS = [UsableKey(f"k{i}", "groq", None, "k", None, "vault", limits=LIMITS) for i in range(4)]


async def _sequential(states: KeyStates) -> list[float]:
    out = []
    for i in range(N):
        t0 = time.perf_counter()
        await states.reserve(KEYS[i % 4], "groq", "m")
        out.append((time.perf_counter() - t0) * 1e6)
    return out


async def _concurrent(states: KeyStates, width: int = 32) -> float:
    t0 = time.perf_counter()
    for _ in range(N // width):
        await asyncio.gather(*(states.reserve(KEYS[i % 4], "groq", "m") for i in range(width)))
    return (time.perf_counter() - t0) / N * 1e6


def _line(name: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p50, p99 = samples[len(samples) // 2], samples[int(len(samples) * 0.99)]
    return (
        f"{name:<9} p50 {p50:8.1f} µs  p99 {p99:8.1f} µs  mean {statistics.mean(samples):8.1f} µs"
    )


async def main(url: str) -> None:
    embedded = KeyStates(HealthBook())
    prefix = f"sg:bench:keys:{uuid.uuid4().hex}:"
    book = HealthBook()
    shared = KeyStates(book, RedisKeyStore.from_url(url, rules_of(book), prefix=prefix))
    await shared.reserve(KEYS[0], "groq", "m")
    print(_line("embedded", await _sequential(embedded)))
    print(_line("redis", await _sequential(shared)))
    print(
        f"32 at a time: embedded {await _concurrent(embedded):.1f} µs/pick, "
        f"redis {await _concurrent(shared):.1f} µs/pick"
    )
    await shared.close()
    admin = Redis.from_url(url)
    keys = [k async for k in admin.scan_iter(match=prefix + "*", count=1000)]
    if keys:
        await admin.delete(*keys)
    await admin.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "redis://127.0.0.1:6379/0"))

"""Unknown tokens are answered from memory (issue 8, item 9).

Against a real gateway: a flood of distinct, well-formed random tokens gets 401s with no
token lookup in the database beyond a small budget (5 a second, counted on the engine); a
token minted through the gateway works at once, one minted by the CLI in another process
at once too (outside a flood) and at worst within one refresh interval; and the flood,
sent by another process, leaves legitimate latency close to what it was.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from gate_service.auth.tokens import parse_token
from tests.stack import Stack, make_settings

CLI = [sys.executable, "-m", "gate_service.cli.main"]
# Random well-formed tokens at a steady rate (16 senders), from another process so that
# the sender's own work does not slow the gateway's thread in this one.
FLOOD = """
import asyncio, secrets, sys, httpx
url, seconds, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
async def one(client, start, stop):
    sent, loop = 0, asyncio.get_running_loop()
    while loop.time() < stop:
        token = "spideriq_pat_" + secrets.token_hex(16)
        r = await client.post(url, json={}, headers={"Authorization": "Bearer " + token})
        assert r.status_code == 401, r.text
        sent += 1
        await asyncio.sleep(max(0.0, start + sent * 16 / rate - loop.time()))
    return sent
async def main():
    async with httpx.AsyncClient(timeout=30) as client:
        senders = []
        start = asyncio.get_running_loop().time()
        for _ in range(16):
            senders.append(asyncio.create_task(one(client, start, start + seconds)))
        await asyncio.sleep(0.5)
        print("flooding", flush=True)
        print(sum(await asyncio.gather(*senders)))
asyncio.run(main())
"""
FLOOD_RATE = 60.0


@pytest.fixture(scope="module")
def ustack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = Stack(make_settings(Path(tmp_path_factory.mktemp("token-gateway")))).start(demo=True)
    yield s
    s.stop()


class Lookups:
    """Token lookups (``... token_hash = ?`` / ``key_hash = ?``) the engine executes."""

    def __init__(self, stack: Stack) -> None:
        self.engine = stack.core.db.engine
        self.statements: list[str] = []
        self.digests: list[str] = []

    def __call__(self, *args: Any) -> None:
        statement, parameters = str(args[2]), args[3]
        if "token_hash =" in statement or "key_hash =" in statement:
            self.statements.append(statement)
            self.digests += [p for p in parameters if isinstance(p, str) and len(p) == 64]

    def __enter__(self) -> Lookups:
        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self)


def _chat(stack: Stack, token: str) -> httpx.Response:
    return httpx.post(
        stack.base_url + "/chat/completions",
        json={"model": "spideriq/fast", "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


async def _random_tokens(stack: Stack, n: int) -> list[httpx.Response]:
    tokens = [f"spideriq_pat_{secrets.token_hex(16)}" for _ in range(n // 2)]
    tokens += [
        f"cli_{secrets.token_hex(8)}:sk_{secrets.token_hex(16)}:secret_{secrets.token_hex(16)}"
        for _ in range(n - n // 2)
    ]
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        sem = asyncio.Semaphore(16)

        async def one(token: str) -> httpx.Response:
            async with sem:
                return await client.post(
                    stack.base_url + "/chat/completions",
                    json={},
                    headers={"Authorization": f"Bearer {token}"},
                )

        return await asyncio.gather(*(one(t) for t in tokens))


def test_random_tokens_cost_no_database_lookup(ustack: Stack) -> None:
    brand, _ = ustack.core.identity.create_brand("filter-brand")
    with Lookups(ustack) as lookups:
        # Minted through the gateway's own store: known at once, looked up once.
        _, token = ustack.core.identity.mint_token(brand.client_id, "agent", None)
        assert _chat(ustack, str(token)).status_code == 200
        assert len(lookups.statements) == 1  # the counter sees lookups
        started = time.monotonic()
        responses = asyncio.run(_random_tokens(ustack, 2000))
        took = time.monotonic() - started
    assert {r.status_code for r in responses} == {401}
    assert {r.json()["error"]["code"] for r in responses} == {"invalid_api_key"}
    # At most the budget of lookups for unknown tokens (5 at once, then 5 a second).
    budget = 5 + 5 * took
    assert len(lookups.statements) - 1 <= budget, (len(lookups.statements), took)
    assert len(ustack.core.authenticator) <= budget + 1  # nor were the rest cached


def test_a_token_minted_elsewhere_is_accepted_within_one_refresh(ustack: Stack) -> None:
    ustack.core.identity.create_brand("cli-brand")
    where = ("--data-dir", str(ustack.settings.data_dir))
    minted = subprocess.run(
        [*CLI, "token", "mint", "--brand", "cli-brand", "--name", "agent", *where],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    token = minted.stdout.strip().splitlines()[-1]
    minted_at = time.monotonic()
    statuses = []
    while True:
        r = httpx.get(
            f"http://127.0.0.1:{ustack.http_port}/api/gate/v1/usage",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        statuses.append(r.status_code)
        if r.status_code == 200:
            break
        assert r.json()["error"]["code"] == "invalid_api_key"
        assert time.monotonic() - minted_at < ustack.settings.refresh_interval_s + 3, statuses
        time.sleep(0.1)
    waited = time.monotonic() - minted_at
    print(f"CLI-minted token accepted after {waited:.2f} s ({len(statuses)} tries)")
    assert set(statuses) <= {401, 200}


def _latencies(stack: Stack, token: str, n: int) -> tuple[float, float, float]:
    """p50, p95 and p99 of ``n`` legitimate requests one after the other, in seconds."""
    times = []
    with httpx.Client(timeout=30) as client:
        for _ in range(n):
            t0 = time.perf_counter()
            r = client.post(
                stack.base_url + "/chat/completions",
                json={"model": "spideriq/fast", "messages": [{"role": "user", "content": "hi"}]},
                headers={"Authorization": f"Bearer {token}"},
            )
            times.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text
    cuts = statistics.quantiles(times, n=100)
    return cuts[49], cuts[94], cuts[98]


def test_a_flood_of_random_tokens_barely_slows_legitimate_requests(ustack: Stack) -> None:
    brand, _ = ustack.core.identity.create_brand("latency-brand")
    token = str(ustack.core.identity.mint_token(brand.client_id, "agent", None)[1])
    _latencies(ustack, token, 50)  # warm up
    quiet = _latencies(ustack, token, 600)
    seconds = 10.0
    url = ustack.base_url + "/chat/completions"
    flood = subprocess.Popen(
        [sys.executable, "-c", FLOOD, url, str(seconds), str(FLOOD_RATE)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        with Lookups(ustack) as lookups:
            assert flood.stdout is not None
            assert flood.stdout.readline().strip() == "flooding"  # up to its rate
            loaded = _latencies(ustack, token, 600)
    finally:
        out, _ = flood.communicate(timeout=60)
    assert flood.returncode == 0
    # The legitimate token, looked up again when its cache entry expires, and random ones
    # only within the budget of lookups for unknown tokens (5 at once, then 5 a second).
    mine = ustack.core.identity.lookup_digest(parse_token(token))
    assert len(lookups.statements) == len(lookups.digests)
    strangers = [d for d in lookups.digests if d != mine]
    assert len(strangers) <= 5 + 5 * (seconds + 2), len(strangers)
    rate = int(out.strip()) / seconds
    shown = (
        ", ".join(f"{1000 * q:.1f}" for q in quiet),
        ", ".join(f"{1000 * q:.1f}" for q in loaded),
    )
    print(f"legit p50/p95/p99 ms: quiet {shown[0]}; under {rate:.0f} random tokens/s {shown[1]}")
    assert rate > FLOOD_RATE * 0.8  # the flood ran at (about) the rate asked
    # A 401 still costs what any request costs in HTTP and gRPC (here about 3.5 ms of the
    # gateway's thread); what the flood may no longer do is queue legitimate requests
    # behind database lookups (p99 twentyfold before). p99 on this shared 2-core machine
    # swings with its other load, so the promise is made on p50 and p95.
    assert loaded[0] < 2 * quiet[0] + 0.001
    assert loaded[1] < 3 * quiet[1] + 0.010

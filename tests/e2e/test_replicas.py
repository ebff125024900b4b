"""Limits hold exactly across replicas: two core processes sharing PostgreSQL and Redis,
two bridges each spreading calls over both cores, everything started with the CLI.

- a token minted with ``--rpm 60`` and 120 requests fired at once: exactly 60 are served
  and 60 get 429 ``rate_limit_exceeded`` with ``Retry-After`` and ``X-RateLimit-*``;
- a token with a hard $0.01 budget and 50 concurrent requests each reserving about
  $0.001: the spend never exceeds $0.01, and every refused request got its 402 before
  any provider call (the mock's request count equals the number served).

Needs PostgreSQL and Redis: skipped without them, failing under CI (``CI`` set).
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.db_backends import fresh_postgres_database
from tests.e2e.test_governance import DEAR, MESSAGES, worst_case_usd
from tests.stack import free_port

PY = sys.executable
CLI = [PY, "-m", "gate_service.cli.main"]
REDIS_URL = os.environ.get("SPIDERGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
KEY_PREFIX = "sg:gov:"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}


def _require_redis() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        message = f"Redis is not reachable at {REDIS_URL} ({type(exc).__name__}: {exc})"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (CI is set: the replica tests must run)", pytrace=False)
        pytest.skip(f"{message}; start it (or set SPIDERGATE_TEST_REDIS_URL)")
    finally:
        client.close()


class Replicas:
    """Mock, two cores and two bridges as separate processes; all killed at the end."""

    def __init__(self, tmp: Path, database_url: str) -> None:
        self.tmp = tmp
        self.database_url = database_url
        self.procs: dict[str, subprocess.Popen[str]] = {}
        self.mock_url = ""
        self.bridges: list[str] = []
        self.client_ids: list[str] = []
        # Shared by the cores and the CLI (the vault's key file), never the user's own.
        self.data = tmp / "data"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*CLI, *args, "--database-url", self.database_url, "--data-dir", str(self.data)],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result

    def start(self, name: str, args: list[str]) -> None:
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 - lives with the process
        self.procs[name] = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, text=True, env=_env()
        )

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text()

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)}" for name in self.procs)

    def wait_for(self, name: str, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log(name):
                return
            if self.procs[name].poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(f"{name} did not print '{text}':\n{self.logs()}")

    def boot(self) -> None:
        port = free_port()
        self.start("mock", [PY, "-m", "mock_provider", "--port", str(port)])
        self.mock_url = f"http://127.0.0.1:{port}"
        self.wait_for("mock", "listening")
        cores = []
        # One after the other: --demo makes a "demo" brand on first start.
        for name in ("core-a", "core-b"):
            grpc_port = free_port()
            self.start(
                name,
                [
                    *CLI,
                    *("serve", "core", "--demo", "--mock-url", self.mock_url),
                    *("--database-url", self.database_url, "--redis-url", REDIS_URL),
                    *("--data-dir", str(self.data)),
                    *("--grpc-port", str(grpc_port)),
                ],
            )
            self.wait_for(name, "core (gRPC) on")
            cores.append(f"127.0.0.1:{grpc_port}")
        for name in ("bridge-1", "bridge-2"):
            http_port = free_port()
            self.start(
                name, [*CLI, "serve", "bridge", "--core", ",".join(cores), "--port", str(http_port)]
            )
            self.bridges.append(f"http://127.0.0.1:{http_port}/api/gate/v1")
        for base in self.bridges:
            _wait_ok(base + "/health", self)

    def mint(self, brand: str, *flags: str) -> str:
        created = self.cli("brand", "create", brand).stdout
        found = re.search(r"client_id: (cli_[a-z0-9]{16})", created)
        assert found is not None
        self.client_ids.append(found.group(1))
        minted = self.cli("token", "mint", "--brand", brand, "--name", "agent", *flags)
        return minted.stdout.strip().splitlines()[-1]

    def mock_total(self) -> int:
        return int(httpx.get(self.mock_url + "/__mock/requests", timeout=10).json()["total"])

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        client = redis.Redis.from_url(REDIS_URL)
        try:
            for client_id in self.client_ids:
                keys = list(client.scan_iter(match=f"{KEY_PREFIX}{{{client_id}}}*", count=1000))
                if keys:
                    client.delete(*keys)
        finally:
            client.close()


def _wait_ok(url: str, replicas: Replicas, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{url} never answered 200:\n{replicas.logs()}")


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    _require_redis()
    with fresh_postgres_database() as url:
        r = Replicas(tmp_path_factory.mktemp("replicas"), url)
        try:
            r.boot()
            yield r
        finally:
            r.stop()


async def _burst(bases: list[str], token: str, n: int, **body: Any) -> list[httpx.Response]:
    """``n`` requests at once, spread over the bridges."""
    payload = {"model": "llama-3.1-8b-instant", "messages": MESSAGES, **body}
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    urls = [base + "/chat/completions" for base in bases]
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        return await asyncio.gather(
            *(client.post(urls[i % len(urls)], json=payload, headers=headers) for i in range(n))
        )


def test_rate_limit_is_exact_across_replicas(replicas: Replicas) -> None:
    token = replicas.mint("rpm-brand", "--rpm", "60")
    before = replicas.mock_total()
    responses = asyncio.run(_burst(replicas.bridges, token, 120))
    served = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert (len(served), len(refused)) == (60, 60), (
        sorted(r.status_code for r in responses),
        replicas.logs(),
    )
    for r in refused:
        assert r.json()["error"]["code"] == "rate_limit_exceeded"
        assert r.json()["error"]["message"].startswith("Rate limit exceeded: 61/60")
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        assert r.headers["X-RateLimit-Limit-Requests"] == "60"
        assert r.headers["X-RateLimit-Remaining-Requests"] == "0"
        assert 1 <= int(r.headers["X-RateLimit-Reset"]) <= 60
    remaining = sorted(int(r.headers["X-RateLimit-Remaining-Requests"]) for r in served)
    assert remaining == list(range(60))  # every slot handed out exactly once
    assert replicas.mock_total() - before == 60
    # Other routes report the same shared window (read from Redis, counting nothing),
    # whichever bridge and core answer them.
    auth = {"Authorization": f"Bearer {token}"}
    for base in replicas.bridges * 2:
        for path in ("/usage", "/models", "/traces?limit=1"):
            r = httpx.get(base + path, headers=auth, timeout=30)
            assert r.status_code == 200, r.text
            assert r.headers["X-RateLimit-Limit-Requests"] == "60"
            assert r.headers["X-RateLimit-Remaining-Requests"] == "0"


def test_hard_budget_is_never_overspent_across_replicas(replicas: Replicas) -> None:
    cap = 0.01
    worst = worst_case_usd(DEAR, 100)
    assert 0.0009 < worst < 0.0011  # about $0.001 per request
    token = replicas.mint("budget-brand", "--budget", str(cap))
    # The provider holds every answer for 1.5 s: all 50 requests are in flight together,
    # so none is settled (to its much smaller real cost) before the others are admitted.
    fault = {"kind": "delay", "delay_ms": 1500, "match": {"model": DEAR}}
    httpx.post(replicas.mock_url + "/__mock/faults", json=fault).raise_for_status()
    before = replicas.mock_total()
    try:
        responses = asyncio.run(_burst(replicas.bridges, token, 50, model=DEAR, max_tokens=100))
    finally:
        httpx.delete(replicas.mock_url + "/__mock/faults").raise_for_status()
    served = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert {r.status_code for r in refused} == {402}, [r.text for r in refused[:3]]
    assert {r.json()["error"]["code"] for r in refused} == {"budget_exceeded"}
    assert len(served) == math.floor(cap / worst)  # exactly the reservations that fit
    spent = sum(r.json()["spidergate_metadata"]["cost_usd"] for r in served)
    assert 0 < spent <= cap
    # Each refused request was refused before a provider was called.
    assert replicas.mock_total() - before == len(served)

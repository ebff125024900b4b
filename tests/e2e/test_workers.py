"""``spidergate serve --workers 2`` as a user runs it (cli/workers.py): one supervisor,
two worker processes on the same ports.

- a token minted with ``--rpm 60`` gets exactly 60 of 120 concurrent requests, on the
  embedded default (the supervisor's private redis-server) and with ``--redis-url``,
  the requests spread over both workers; a hard budget is never overspent; an answer
  cached by one worker is a hit on the other;
- a worker killed with SIGKILL is started again and serving resumes, in the same
  journal slot (no third slot: workers never share a journal file, nor leave one behind);
- SIGTERM to the supervisor drains both workers: streams in flight on each finish whole.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.e2e.processes import CLI, Procs, env
from tests.e2e.test_governance import DEAR, worst_case_usd
from tests.stack import free_port

REDIS_URL = os.environ.get("SPIDERGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MESSAGES = [{"role": "user", "content": "hi"}]


def _mint(data: Path, *flags: str) -> str:
    def cli(*args: str) -> str:
        done = subprocess.run(
            [*CLI, *args, "--data-dir", str(data)],
            check=True,
            capture_output=True,
            text=True,
            env=env(),
            timeout=60,
        )
        return done.stdout

    cli("brand", "create", "acme")
    return cli("token", "mint", "--brand", "acme", "--name", "agent", *flags).split()[-1]


class Gateway:
    """``serve --workers 2 --demo`` against the test's mock, in a process of its own."""

    def __init__(self, procs: Procs, data: Path, mock_url: str, *extra: str) -> None:
        self.procs = procs
        self.data = data
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/gate/v1"
        self.proc = procs.start(
            [
                *CLI,
                "serve",
                "--workers",
                "2",
                "--demo",
                "--mock-url",
                mock_url,
                "--data-dir",
                str(data),
                "--port",
                str(self.port),
                "--grpc-port",
                str(free_port()),
                *extra,
            ],
            "gateway",
        )
        self.wait_log(r"2 workers serving")

    def log(self) -> str:
        return self.procs.log("gateway")

    def wait_log(self, pattern: str, count: int = 1, timeout: float = 90) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.findall(pattern, self.log())
            if len(found) >= count:
                return found
            assert self.proc.poll() is None, self.log()
            time.sleep(0.1)
        raise TimeoutError(f"{pattern!r} x{count} not in the log:\n{self.log()}")

    def pids(self) -> list[int]:
        line = self.wait_log(r"workers serving \(pids ([0-9, ]+)\)")[-1]
        return [int(p) for p in line.split(", ")]

    def stop(self) -> str:
        """SIGTERM to the supervisor; its log once it exited 0."""
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(60) == 0, self.log()
        return self.log()

    def journal_slots(self) -> list[str]:
        (root,) = (self.data / "ledger-journal").iterdir()
        return sorted(p.name for p in root.iterdir())


def written_per_worker(log: str) -> list[int]:
    """What each worker's ledger wrote, from its closing line."""
    return [int(n) for n in re.findall(r"ledger: closed; (\d+) written", log)]


async def _burst(url: str, token: str, n: int, **extra: Any) -> list[httpx.Response]:
    """``n`` requests at once, each on a connection of its own (so the kernel spreads
    them over the workers)."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"model": "llama-3.1-8b-instant", "messages": MESSAGES, **extra}
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        return await asyncio.gather(
            *(client.post(url, json=body, headers=headers) for _ in range(n))
        )


def _require_redis() -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}", pytrace=False)
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    finally:
        client.close()


@pytest.mark.parametrize("store", ["embedded", "redis"])
def test_a_60_per_minute_token_gets_exactly_60_of_120_over_two_workers(
    procs: Procs, mock_url: str, tmp_path: Path, store: str
) -> None:
    extra: list[str] = []
    if store == "redis":
        _require_redis()
        extra = ["--redis-url", REDIS_URL]
    elif shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: --workers 2 needs it or --redis-url")
    data = tmp_path / "data"
    token = _mint(data, "--rpm", "60")
    gateway = Gateway(procs, data, mock_url, *extra)
    before = httpx.get(mock_url + "/__mock/requests", timeout=10).json()["total"]

    responses = asyncio.run(_burst(gateway.base + "/chat/completions", token, 120))

    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 60 + [429] * 60, (codes, gateway.log())
    for r in responses:
        if r.status_code == 429:
            assert r.json()["error"]["code"] == "rate_limit_exceeded"
    remaining = sorted(
        int(r.headers["X-RateLimit-Remaining-Requests"]) for r in responses if r.status_code == 200
    )
    assert remaining == list(range(60))  # every slot handed out once, over both workers
    assert httpx.get(mock_url + "/__mock/requests", timeout=10).json()["total"] - before == 60
    written = written_per_worker(gateway.stop())
    # Both workers answered part of the burst (every request is in the ledger).
    assert len(written) == 2 and min(written) > 0 and sum(written) == 120, written


def test_a_hard_budget_is_never_overspent_over_two_workers(
    procs: Procs, mock_url: str, tmp_path: Path
) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: --workers 2 needs it or --redis-url")
    cap, worst = 0.01, worst_case_usd(DEAR, 100)
    assert 0.0009 < worst < 0.0011  # about $0.001 reserved per request
    data = tmp_path / "data"
    token = _mint(data, "--budget", str(cap))
    gateway = Gateway(procs, data, mock_url)
    # Every answer is held 1.5 s: all 50 are in flight together, none settled (to its
    # smaller real cost) before the others are admitted.
    fault = {"kind": "delay", "delay_ms": 1500, "match": {"model": DEAR}}
    httpx.post(mock_url + "/__mock/faults", json=fault).raise_for_status()
    before = httpx.get(mock_url + "/__mock/requests", timeout=10).json()["total"]

    url = gateway.base + "/chat/completions"
    responses = asyncio.run(_burst(url, token, 50, model=DEAR, max_tokens=100))

    served = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert {r.json()["error"]["code"] for r in refused} == {"budget_exceeded"}, gateway.log()
    assert len(served) == math.floor(cap / worst)  # exactly the reservations that fit
    assert 0 < sum(r.json()["spidergate_metadata"]["cost_usd"] for r in served) <= cap
    assert httpx.get(mock_url + "/__mock/requests", timeout=10).json()["total"] - before == len(
        served
    )
    written = written_per_worker(gateway.stop())
    assert len(written) == 2 and min(written) > 0 and sum(written) == 50, written


def test_a_killed_worker_is_started_again_and_serving_resumes(
    procs: Procs, mock_url: str, tmp_path: Path
) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: --workers 2 needs it or --redis-url")
    data = tmp_path / "data"
    token = _mint(data)
    gateway = Gateway(procs, data, mock_url)
    first, second = gateway.pids()
    assert gateway.journal_slots() == ["0", "1"]  # one journal per worker
    assert gateway.log().count("Your demo agent token") == 1

    os.kill(first, signal.SIGKILL)  # worker 0: the one that printed the demo token
    gateway.wait_log(r"worker 0 \(pid \d+\) exited with code -9; restarting it in")
    gateway.wait_log(r"bridge on http", count=3)  # the new worker 0 serves

    responses = asyncio.run(_burst(gateway.base + "/chat/completions", token, 40))
    assert [r.status_code for r in responses] == [200] * 40, gateway.log()
    os.kill(second, 0)  # the other worker was never touched
    assert gateway.journal_slots() == ["0", "1"]  # the new worker took the freed slot
    assert gateway.log().count("Your demo agent token") == 1  # printed once, not again
    written = written_per_worker(gateway.stop())
    assert len(written) == 2 and min(written) > 0 and sum(written) == 40, written


def test_sigterm_drains_both_workers(procs: Procs, mock_url: str, tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: --workers 2 needs it or --redis-url")
    data = tmp_path / "data"
    token = _mint(data)
    gateway = Gateway(procs, data, mock_url, "--shutdown-grace", "15")
    # 30 words, 100 ms apart: each stream runs ~3 s, well inside the grace.
    fault = {"kind": "slow_stream", "chunk_delay_ms": 100, "match": {"model": "gpt-4o"}}
    httpx.post(mock_url + "/__mock/faults", json=fault).raise_for_status()
    n = 16  # on their own connections: all on one worker has odds of 2 in 65,536
    events: list[list[str]] = [[] for _ in range(n)]
    started = threading.Barrier(n + 1, timeout=60)

    def stream(i: int) -> None:
        body: dict[str, Any] = {
            "model": "gpt-4o",
            "stream": True,
            "messages": [{"role": "user", "content": "[mock:words=30] go"}],
        }
        with httpx.stream(
            "POST",
            gateway.base + "/chat/completions",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        ) as r:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    events[i].append(line[6:])
                    if len(events[i]) == 3:
                        started.wait()

    threads = [threading.Thread(target=stream, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    started.wait()  # every stream is under way
    log = gateway.stop()
    for t in threads:
        t.join(30)

    for got in events:
        assert got[-1] == "[DONE]", got[-3:]
        chunks = [json.loads(e) for e in got[:-1]]
        assert not any("error" in c for c in chunks), got[-3:]
        assert any(c.get("choices") and c["choices"][0].get("finish_reason") for c in chunks)
    assert "still running after the" not in log and not re.search(r"ended \d+ requests", log)
    written = written_per_worker(log)
    assert len(written) == 2 and min(written) > 0 and sum(written) == n, written
    with pytest.raises(httpx.ConnectError):  # nothing listens any more
        httpx.get(gateway.base + "/health", timeout=5)


def test_an_answer_cached_by_one_worker_is_served_by_both(
    procs: Procs, mock_url: str, tmp_path: Path
) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: --workers 2 needs it or --redis-url")
    data = tmp_path / "data"
    token = _mint(data)
    gateway = Gateway(procs, data, mock_url)
    url, headers = gateway.base + "/chat/completions", {"Authorization": f"Bearer {token}"}
    body = {
        "model": "llama-3.1-8b-instant",
        "messages": MESSAGES,
        "spidergate_options": {"cache_enabled": True, "cache_ttl_seconds": 120},
    }
    first = httpx.post(url, json=body, headers=headers, timeout=30)
    assert first.json()["spidergate_metadata"]["cache_hit"] is False, first.text
    before = httpx.get(mock_url + "/__mock/requests", timeout=10).json()["total"]

    async def again(n: int) -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            return await asyncio.gather(
                *(client.post(url, json=body, headers=headers) for _ in range(n))
            )

    hits = asyncio.run(again(30))  # on 30 connections: both workers answer
    assert all(r.json()["spidergate_metadata"]["cache_hit"] is True for r in hits)
    assert httpx.get(mock_url + "/__mock/requests", timeout=10).json()["total"] == before
    written = written_per_worker(gateway.stop())
    assert len(written) == 2 and min(written) > 0 and sum(written) == 31, written

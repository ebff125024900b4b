"""Key state is shared across replicas (issue 14, item 1): two cores on one PostgreSQL
database and one Redis, each behind its own bridge, every process started with the CLI,
the provider the mock (whose request log counts the requests each key received).

- a pool key limited to 30 requests a minute, 60 concurrent requests spread over both
  replicas: that key is used exactly 30 times, the next key serves the other 30;
- a key answering 401 on one replica is skipped by the other within 1 s (no request on
  it reaches the provider again);
- a 429 with ``Retry-After: 5`` rests the key on both replicas, and it serves again after;
- after a restart the invalid key is still skipped: with Redis, and without Redis
  (its shared state deleted too), from the mark kept in the database.

Each scenario has its own provider (groq, cerebras, mistral) so they do not interfere.
Needs PostgreSQL and Redis: skipped without them, failing under CI (``CI`` set).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.db_backends import fresh_postgres_database
from tests.e2e.processes import CLI, PY, Procs, env
from tests.e2e.test_replicas import REDIS_URL, _require_redis
from tests.stack import free_port

KEY_PREFIX = "sg:keys:"
MESSAGES = [{"role": "user", "content": "hello"}]
# provider -> (model, first key's secret, next key's secret)
KEYS = {
    "groq": ("llama-3.1-8b-instant", "sk-groq-aaaa-1111111111", "sk-groq-bbbb-2222222222"),
    "cerebras": ("llama3.1-8b", "sk-cere-cccc-3333333333", "sk-cere-dddd-4444444444"),
    "mistral": ("mistral-small-latest", "sk-mist-eeee-5555555555", "sk-mist-ffff-6666666666"),
}


class Stack:
    """Mock, two cores (a, b) and one bridge per core; all killed at the end."""

    def __init__(self, tmp: Path, database_url: str) -> None:
        self.procs = Procs(tmp)
        self.database_url = database_url
        self.data = tmp / "data"
        self.mock_url = ""
        self.grpc_ports = {"a": free_port(), "b": free_port()}
        self.bridges: dict[str, str] = {}
        self.key_ids: dict[str, str] = {}
        self.token = ""

    def cli(self, *args: str) -> str:
        result = subprocess.run(
            [*CLI, *args, "--database-url", self.database_url, "--data-dir", str(self.data)],
            capture_output=True,
            text=True,
            env=env(),
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def wait_log(self, name: str, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.procs.log(name):
                return
            time.sleep(0.1)
        pytest.fail(f"{name} did not print {text!r}:\n{self.procs.log(name)}")

    def start_core(self, name: str, *, with_redis: bool = True, run: int = 0) -> None:
        redis_flags = ["--redis-url", REDIS_URL] if with_redis else []
        log = f"core-{name}-{run}"
        self.procs.start(
            [
                *CLI,
                *("serve", "core", "--database-url", self.database_url, *redis_flags),
                *("--data-dir", str(self.data), "--grpc-port", str(self.grpc_ports[name])),
            ],
            log,
        )
        self.wait_log(log, "core (gRPC) on")

    def boot(self) -> None:
        port = free_port()
        self.procs.start([PY, "-m", "mock_provider", "--port", str(port)], "mock")
        self.mock_url = f"http://127.0.0.1:{port}"
        self.wait_log("mock", "listening")
        self.cli("brand", "create", "acme")
        self.token = self.cli("token", "mint", "--brand", "acme", "--name", "t").splitlines()[-1]
        for provider, (_, first, second) in KEYS.items():
            base = f"{self.mock_url}/{provider}/v1"
            extra = ["--rpm", "30"] if provider == "groq" else []
            for secret, flags in ((first, ["--primary", *extra]), (second, [])):
                out = self.cli("key", "add", provider, secret, "--base-url", base, *flags)
                found = re.search(r"added (key_[0-9a-f]+)", out)
                assert found is not None, out
                self.key_ids[secret] = found.group(1)
        for name in ("a", "b"):
            self.start_core(name)
            http_port = free_port()
            core = f"127.0.0.1:{self.grpc_ports[name]}"
            self.procs.start(
                [*CLI, "serve", "bridge", "--core", core, "--port", str(http_port)],
                f"bridge-{name}",
            )
            self.bridges[name] = f"http://127.0.0.1:{http_port}/api/gate/v1"
        for name in self.bridges:
            self.wait_ok(name)

    def wait_ok(self, name: str, timeout: float = 60) -> None:
        """Until a chat through this replica answers 200 (its core is up and routing)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.chat(name, "groq").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(f"replica {name} never served:\n{self.procs.log('mock')}")

    def chat(self, name: str, provider: str) -> httpx.Response:
        model = f"{provider}/{KEYS[provider][0]}"
        return httpx.post(
            self.bridges[name] + "/chat/completions",
            json={"model": model, "messages": MESSAGES},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
        )

    def by_key(self) -> dict[str, int]:
        answer = httpx.get(self.mock_url + "/__mock/requests?limit=0", timeout=10).json()
        return {k: int(v) for k, v in answer["by_key"].items()}

    def fault(self, rule: dict[str, object]) -> None:
        httpx.post(self.mock_url + "/__mock/faults", json=rule, timeout=10).raise_for_status()

    def stop(self) -> None:
        self.procs.stop_all()
        client = redis.Redis.from_url(REDIS_URL)
        try:
            for key_id in self.key_ids.values():
                found = list(client.scan_iter(match=f"{KEY_PREFIX}k:{key_id}*"))
                if found:
                    client.delete(*found)
            for provider, (model, _, _) in KEYS.items():
                client.delete(f"{KEY_PREFIX}m:{provider}:{model}")
        finally:
            client.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    _require_redis()
    with fresh_postgres_database() as url:
        s = Stack(tmp_path_factory.mktemp("keystate"), url)
        try:
            s.boot()
            yield s
        finally:
            s.stop()


async def _burst(stack: Stack, provider: str, n: int) -> list[httpx.Response]:
    """``n`` requests at once, alternating between the two replicas."""
    model = f"{provider}/{KEYS[provider][0]}"
    payload = {"model": model, "messages": MESSAGES}
    headers = {"Authorization": f"Bearer {stack.token}"}
    urls = [stack.bridges[name] + "/chat/completions" for name in ("a", "b")]
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        return await asyncio.gather(
            *(client.post(urls[i % 2], json=payload, headers=headers) for i in range(n))
        )


def test_a_key_limited_to_30_a_minute_is_used_30_times_across_replicas(stack: Stack) -> None:
    _, limited, nxt = KEYS["groq"]
    before = stack.by_key()  # the boot's readiness checks used the limited key too
    used = before.get(limited, 0)
    assert used <= 2
    responses = asyncio.run(_burst(stack, "groq", 60))
    assert [r.status_code for r in responses] == [200] * 60, [r.text for r in responses[:3]]
    after = stack.by_key()
    assert after[limited] == 30, after
    assert after.get(nxt, 0) - before.get(nxt, 0) == 60 - (30 - used)


def test_a_401_on_one_replica_is_skipped_by_the_other_within_a_second(stack: Stack) -> None:
    _, refused, nxt = KEYS["cerebras"]
    stack.fault({"kind": "error", "status": 401, "match": {"key": refused}})
    first = stack.chat("a", "cerebras")
    learnt_at = time.monotonic()
    assert first.status_code == 200, first.text
    assert stack.by_key()[refused] == 1
    r = stack.chat("b", "cerebras")
    assert time.monotonic() - learnt_at < 1.0
    assert r.status_code == 200, r.text
    counts = stack.by_key()
    assert counts[refused] == 1, counts  # replica b never sent it
    for name in ("a", "b", "a", "b"):
        assert stack.chat(name, "cerebras").status_code == 200
    assert stack.by_key()[refused] == 1
    assert stack.by_key()[nxt] == 6


def test_a_429_with_retry_after_rests_the_key_on_both_replicas(stack: Stack) -> None:
    _, resting, nxt = KEYS["mistral"]
    rule = {"kind": "error", "status": 429, "times": 1, "headers": {"Retry-After": "5"}}
    stack.fault({**rule, "match": {"key": resting}})
    r = stack.chat("a", "mistral")
    rested_at = time.monotonic()
    assert r.status_code == 200, r.text
    for name in ("b", "a", "b"):
        assert stack.chat(name, "mistral").status_code == 200
    counts = stack.by_key()
    assert counts[resting] == 1, counts  # the 429 only
    assert counts[nxt] == 4, counts
    # Back on both once the 5 s are over (polled: the first answer after it).
    back: dict[str, float] = {}
    deadline = rested_at + 15
    while len(back) < 2 and time.monotonic() < deadline:
        for name in ("a", "b"):
            if name in back:
                continue
            before = stack.by_key()[resting]
            assert stack.chat(name, "mistral").status_code == 200
            if stack.by_key()[resting] > before:
                back[name] = time.monotonic() - rested_at
        time.sleep(0.2)
    assert set(back) == {"a", "b"}, back
    assert all(4.5 <= waited <= 8.0 for waited in back.values()), back


def test_after_a_restart_the_invalid_key_is_still_skipped(stack: Stack) -> None:
    _, refused, _ = KEYS["cerebras"]
    if stack.by_key().get(refused, 0) == 0:  # run alone: make the key invalid first
        stack.fault({"kind": "error", "status": 401, "match": {"key": refused}})
        assert stack.chat("a", "cerebras").status_code == 200
    seen = stack.by_key()[refused]
    # With Redis: the shared state and the database both know.
    stack.procs.started[1].kill()  # core a, run 0
    stack.procs.started[1].wait(10)
    stack.start_core("a", run=1)
    stack.wait_ok("a")
    for _ in range(3):
        assert stack.chat("a", "cerebras").status_code == 200
    assert stack.by_key()[refused] == seen
    # Without Redis, and Redis forgot the key: the database alone still knows.
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.delete(f"{KEY_PREFIX}k:{stack.key_ids[refused]}")
    finally:
        client.close()
    core_b = stack.procs.started[3]  # core b, run 0
    core_b.kill()
    core_b.wait(10)
    stack.start_core("b", with_redis=False, run=1)
    stack.wait_ok("b")
    for _ in range(3):
        assert stack.chat("b", "cerebras").status_code == 200
    assert stack.by_key()[refused] == seen

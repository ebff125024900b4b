"""gRPC-native balancing over two real cores (issue 14 item 3): a Python grpc.aio client,
a Node @grpc/grpc-js client and the bridge (``serve bridge --core TARGET``), each on one
channel with the round_robin service config, over an ``ipv4:`` target and a ``dns://``
target (tests/e2e/balancing_support.py says how the DNS name gets two addresses).

Each checks that calls reached both cores (each core has its own mock provider, which
logs every prompt), then kills one core: calls keep succeeding on the other. Under load
(Python and the bridge: four callers, core A's provider answering after 300 ms so calls
are in flight there at the kill) the calls in flight on the killed core may fail, with
UNAVAILABLE (the bridge: 503), and none is ever run twice: every prompt reached the
providers at most once, and a failed one never reached core B. Node runs its calls one
at a time, before and after the kill.

Needs PostgreSQL (one token for both cores) and Node: skipped without them locally,
failing under CI.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import openai
import pytest

from spidergate.v1 import chat_pb2, chat_pb2_grpc, common_pb2
from tests.db_backends import fresh_postgres_database
from tests.dns_server import dns_server
from tests.e2e.balancing_support import ADDRESSES, DNS_NAME, Pair
from tests.e2e.processes import CLI, env
from tests.node_client import NODE_DIR, ROOT
from tests.stack import free_port

# What a client of several cores configures (docs/api.md): gRPC balances, gRPC health
# checking skips a core that is not serving, and no retry policy.
SERVICE_CONFIG = json.dumps(
    {"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""}}
)
OPTIONS = [("grpc.service_config", SERVICE_CONFIG), ("grpc.service_config_disable_resolution", 1)]
TARGETS = ["ipv4", "dns"]
WORKERS = 4
Call = Callable[[str], Awaitable[str | None]]  # prompt -> None, or how it failed


@pytest.fixture(scope="module")
def cores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with fresh_postgres_database() as url, dns_server({DNS_NAME: list(ADDRESSES.values())}) as dns:
        pair = Pair(tmp_path_factory.mktemp("balancing"), url, dns)
        try:
            pair.boot()
            yield pair
        finally:
            pair.stop()


@pytest.fixture
def pair(cores: Pair) -> Pair:
    """Both cores up (a test before may have killed one), the mocks' logs empty."""
    for core in ADDRESSES:
        cores.revive(core)
    cores.reset_mocks()
    return cores


def _assert_spread(pair: Pair, prefix: str, count: int) -> None:
    served = pair.served(prefix)
    assert sorted(served["a"] + served["b"]) == sorted(f"{prefix}-{i}" for i in range(count))
    assert served["a"] and served["b"], served


# ----------------------------------------------------------------- load with a kill


@dataclass
class Done:
    prompt: str
    started: float
    failure: str | None


async def _load_through_a_kill(pair: Pair, call: Call, prefix: str) -> tuple[list[Done], float]:
    """Four callers, one call at a time each, until 20 calls that started a second after
    core A was killed have finished; A is killed once 8 calls succeeded."""
    done: list[Done] = []
    numbers = itertools.count()
    killed_at = float("inf")
    stop = asyncio.Event()

    async def caller() -> None:
        while not stop.is_set():
            prompt = f"{prefix}-{next(numbers)}"
            started = time.monotonic()
            done.append(Done(prompt, started, await call(prompt)))

    async def after(predicate: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 60
        while not predicate():
            assert time.monotonic() < deadline, f"stuck: {done}\n{pair.logs()}"
            await asyncio.sleep(0.02)

    callers = [asyncio.create_task(caller()) for _ in range(WORKERS)]
    await after(lambda: sum(d.failure is None for d in done) >= 8)
    killed_at = time.monotonic()
    await asyncio.to_thread(pair.kill, "a")
    await after(lambda: sum(d.started > killed_at + 1 for d in done) >= 20)
    stop.set()
    await asyncio.gather(*callers)
    return done, killed_at


def _assert_survived_and_never_twice(
    pair: Pair, prefix: str, done: list[Done], killed_at: float, failures: set[str]
) -> None:
    served = pair.served(prefix)
    ran = Counter(served["a"] + served["b"])
    assert all(n == 1 for n in ran.values()), f"a prompt ran twice: {ran.most_common(3)}"
    failed = [d for d in done if d.failure is not None]
    # Only calls in flight on A at the kill may fail: at most one per caller, not later.
    assert len(failed) <= WORKERS, failed
    assert all(d.failure in failures and d.started < killed_at + 1 for d in failed), failed
    assert not {d.prompt for d in failed} & set(served["b"])  # never retried on B
    for d in done:
        if d.failure is None:
            assert ran[d.prompt] == 1, d
    before = {d.prompt for d in done if d.started < killed_at}
    assert before & set(served["a"]) and before & set(served["b"])  # spread before
    late = [d.prompt for d in done if d.started > killed_at + 1]
    assert len(late) >= 20 and set(late) <= set(served["b"])  # all on B after


# ------------------------------------------------------------------- Python client


def _python_call(channel: grpc.aio.Channel, token: str) -> Call:
    stub = chat_pb2_grpc.ChatServiceStub(channel)
    metadata = (("authorization", f"Bearer {token}"),)

    async def call(prompt: str) -> str | None:
        message = common_pb2.ChatMessage(role="user", text=prompt)
        request = common_pb2.ChatCompletionRequest(model="spideriq/fast", messages=[message])
        try:
            await stub.CreateChatCompletion(
                chat_pb2.CreateChatCompletionRequest(request=request), metadata=metadata, timeout=30
            )
        except grpc.aio.AioRpcError as error:
            return error.code().name
        return None

    return call


@pytest.mark.parametrize("kind", TARGETS)
async def test_python_client_spreads_and_survives_a_killed_core(pair: Pair, kind: str) -> None:
    async with grpc.aio.insecure_channel(pair.target(kind), options=OPTIONS) as channel:
        call = _python_call(channel, pair.token)
        results = [await call(f"py-{kind}-spread-{i}") for i in range(20)]
        assert results == [None] * 20
        _assert_spread(pair, f"py-{kind}-spread", 20)

        pair.reset_mocks(delay_ms_on_a=300)
        done, killed_at = await _load_through_a_kill(pair, call, f"py-{kind}-kill")
    _assert_survived_and_never_twice(pair, f"py-{kind}-kill", done, killed_at, {"UNAVAILABLE"})


# --------------------------------------------------------------------- Node client


@pytest.mark.parametrize("kind", TARGETS)
def test_node_client_spreads_and_survives_a_killed_core(
    node_available: None, pair: Pair, kind: str
) -> None:
    script = str((NODE_DIR / "balance_client.mjs").relative_to(ROOT))
    node = subprocess.Popen(
        ["node", script, pair.target(kind)],
        cwd=ROOT,
        # grpc-js asks the DNS server a dns://SERVER/ target names only with this set
        # (else it asks the system's resolver, getaddrinfo, whatever the target says).
        env={**env(), "SPIDERGATE_TOKEN": pair.token, "GRPC_NODE_USE_ALTERNATIVE_RESOLVER": "true"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert node.stdin is not None and node.stdout is not None

    def run(count: int, prefix: str) -> dict[str, Any]:
        assert node.stdin is not None and node.stdout is not None
        node.stdin.write(f"run {count} {prefix}\n")
        node.stdin.flush()
        line = node.stdout.readline()
        assert line, f"node ended: {node.communicate(timeout=10)[1]}"
        result: dict[str, Any] = json.loads(line)
        return result

    try:
        first = run(20, f"node-{kind}-1")
        assert first["failed"] == [] and len(first["ok"]) == 20
        _assert_spread(pair, f"node-{kind}-1", 20)
        pair.kill("a")
        second = run(20, f"node-{kind}-2")
        assert second["failed"] == [] and len(second["ok"]) == 20
        assert sorted(pair.served(f"node-{kind}-2")["b"]) == sorted(second["ok"])
        node.stdin.write("exit\n")
        node.stdin.flush()
        assert node.wait(30) == 0
    finally:
        if node.poll() is None:
            node.kill()
        node.communicate(timeout=10)


# ---------------------------------------------------------------------- the bridge


@pytest.mark.parametrize("kind", TARGETS)
async def test_bridge_spreads_and_survives_a_killed_core(pair: Pair, kind: str) -> None:
    http_port = free_port()
    pair.start(
        f"bridge-{kind}",
        [*CLI, "serve", "bridge", "--core", pair.target(kind), "--port", str(http_port)],
    )
    base = f"http://127.0.0.1:{http_port}/api/gate/v1"
    try:
        await _wait_ok(base + "/health", pair)
        # max_retries=0: the SDK's own retries would hide what the gateway does.
        client = openai.AsyncOpenAI(base_url=base, api_key=pair.token, max_retries=0)

        async def call(prompt: str) -> str | None:
            try:
                await client.chat.completions.create(
                    model="spideriq/fast", messages=[{"role": "user", "content": prompt}]
                )
            except openai.APIStatusError as error:
                return f"{error.status_code} {error.code}"
            return None

        results = [await call(f"bridge-{kind}-spread-{i}") for i in range(20)]
        assert results == [None] * 20
        _assert_spread(pair, f"bridge-{kind}-spread", 20)

        pair.reset_mocks(delay_ms_on_a=300)
        done, killed_at = await _load_through_a_kill(pair, call, f"bridge-{kind}-kill")
        await client.close()
    finally:
        pair.procs[f"bridge-{kind}"].kill()
        pair.procs[f"bridge-{kind}"].wait(10)
    failures = {"503 service_unavailable"}
    _assert_survived_and_never_twice(pair, f"bridge-{kind}-kill", done, killed_at, failures)


async def _wait_ok(url: str, pair: Pair) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(timeout=5) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"{url} never answered 200:\n{pair.logs()}")

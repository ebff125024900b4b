"""Load shedding, against ``spidergate serve`` as a user runs it
(:mod:`tests.e2e.bounds_harness`): 1,500 connections sending a chat request at once: the
ones past the bound get a fast 503 ``overloaded`` with ``Retry-After``, the accepted ones
keep their p99 and the process its memory; core and bridge apart, the core's own bound
shows as the same 503; in one process a request counts once.

The two 1,500-connection bursts are marked ``soak``: their p99 bound (under 2 s) holds for
a gateway with a core of its own, which the suite's other workers share, so they run in
``.ci/run``'s soak stage, alone on the machine (``pytest -m soak``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest

from gate_service.config import Settings
from tests.e2e.bounds_harness import (
    CHAT,
    CLI,
    HEALTH,
    PY,
    SLOW_MODEL,
    Gateway,
    _mint,
    _spawn,
    _wait_ready,
    on_core_1,
    start_gateway,
)
from tests.stack import free_port

# ------------------------------------------------------------------ load shedding


@dataclass
class Burst:
    """What N connections that each sent a chat request at once got back."""

    ok: list[float]  # latencies of the 200s, sorted
    shed: list[float]  # latencies of the 503s, sorted
    other: list[int]
    errors: list[str]
    retry_after: set[str]
    codes: set[str]

    def p(self, values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))]


async def _burst(port: int, token: str, n: int) -> Burst:
    body = orjson.dumps({"model": "spideriq/fast", "messages": [{"role": "user", "content": "hi"}]})
    request = (
        f"POST {CHAT} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    go = asyncio.Event()
    all_open = asyncio.Event()
    opened = 0
    result = Burst([], [], [], [], set(), set())

    def note_open() -> None:
        nonlocal opened
        opened += 1
        if opened == n:
            all_open.set()

    async def one() -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as exc:
            result.errors.append(repr(exc))
            note_open()
            return
        note_open()
        try:
            await go.wait()
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
            answer = await reader.readexactly(int(headers["content-length"]))
            elapsed = time.perf_counter() - started
            status = int(lines[0].split()[1])
            if status == 200:
                result.ok.append(elapsed)
            elif status == 503:
                result.shed.append(elapsed)
                result.retry_after.add(headers.get("retry-after", ""))
                result.codes.add(orjson.loads(answer)["error"]["code"])
            else:
                result.other.append(status)
        except (OSError, asyncio.IncompleteReadError) as exc:
            result.errors.append(repr(exc))
        finally:
            writer.close()

    tasks = [asyncio.create_task(one()) for _ in range(n)]
    await asyncio.wait_for(all_open.wait(), 60)  # every connection open, then all at once
    go.set()
    await asyncio.gather(*tasks)
    result.ok.sort()
    result.shed.sort()
    return result


def _warm(gateway: Gateway) -> None:
    for _ in range(20):
        r = httpx.post(
            gateway.base + CHAT,
            json={"model": "spideriq/fast", "messages": [{"role": "user", "content": "hi"}]},
            headers={"Authorization": f"Bearer {gateway.token}"},
            timeout=30,
        )
        assert r.status_code == 200, r.text


def _check_burst(burst: Burst, bound: int, n: int) -> None:
    assert not burst.errors and not burst.other, (burst.errors[:3], burst.other[:3])
    assert len(burst.ok) + len(burst.shed) == n
    assert len(burst.ok) >= bound  # every slot was used
    assert len(burst.shed) >= 1 and burst.codes == {"overloaded"}
    assert burst.retry_after == {"1"}
    assert burst.p(burst.ok, 0.99) < 2.0, burst.p(burst.ok, 0.99)
    assert burst.p(burst.shed, 0.99) < 1.0, burst.p(burst.shed, 0.99)


@pytest.fixture(scope="module")
def load_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The mock provider for the load tests, on core 1 with the clients (as bench/ runs
    it): the gateway's core does only the gateway's work."""
    tmp = tmp_path_factory.mktemp("load-mock")
    port = free_port()
    proc = _spawn([PY, "-m", "mock_provider", "--port", str(port)], tmp / "mock.log", core=1)
    url = f"http://127.0.0.1:{port}"
    _wait_ready(url + "/__mock/health", proc, tmp / "mock.log")
    yield url
    proc.kill()
    proc.wait(10)


def _shed_1500(tmp: Path, mock: str, bound: int | None) -> Burst:
    """1,500 connections at once against a fresh gateway with ``bound`` (None: the
    default); checks and returns what they got."""
    args = ["--mock-url", mock]
    if bound is not None:
        args += ["--max-concurrent-requests", str(bound)]
    g = start_gateway(tmp, *args)
    try:
        _warm(g)
        g.reset_peak()
        with on_core_1():
            burst = asyncio.run(_burst(g.port, g.token, 1_500))
        memory = g.memory_kb()
        print(
            f"bound {bound or 'default'}: {len(burst.ok)} ok, p50 "
            f"{burst.p(burst.ok, 0.5):.3f} s, p99 {burst.p(burst.ok, 0.99):.3f} s; "
            f"{len(burst.shed)} shed, p50 {burst.p(burst.shed, 0.5):.3f} s, p99 "
            f"{burst.p(burst.shed, 0.99):.3f} s; {memory}"
        )
        _check_burst(burst, bound or Settings().max_concurrent_requests, 1_500)
        assert memory["VmHWM"] < 400 * 1024, memory
        assert httpx.get(g.base + HEALTH).status_code == 200
        return burst
    finally:
        g.stop()


@pytest.mark.soak
def test_1500_connections_at_the_default_bound(tmp_path: Path, load_mock: str) -> None:
    _shed_1500(tmp_path, load_mock, None)


@pytest.mark.soak
def test_1500_connections_at_a_small_bound(tmp_path: Path, load_mock: str) -> None:
    burst = _shed_1500(tmp_path, load_mock, 100)
    assert len(burst.shed) >= 1_000  # most of the burst is refused, at once


# ------------------------------------------------------------------ the bound, end to end


@pytest.fixture
def mock_url(tmp_path: Path) -> Iterator[str]:
    """The mock provider in a process of its own, to script slow streams."""
    port = free_port()
    proc = _spawn([PY, "-m", "mock_provider", "--port", str(port)], tmp_path / "mock.log")
    url = f"http://127.0.0.1:{port}"
    _wait_ready(url + "/__mock/health", proc, tmp_path / "mock.log")
    httpx.post(
        url + "/__mock/faults",
        json={"kind": "slow_stream", "chunk_delay_ms": 200, "match": {"model": SLOW_MODEL}},
    ).raise_for_status()
    yield url
    proc.kill()
    proc.wait(10)


BOUND = 3


def _fill_and_overflow(base: str, token: str) -> None:
    """With ``BOUND`` streams open (each has sent its first event), one more request gets
    503 overloaded with Retry-After, /health and /metrics still answer; once the streams
    are closed by their clients, requests are served again."""
    headers = {"Authorization": f"Bearer {token}"}
    chat = {
        "model": SLOW_MODEL,
        "stream": True,
        "messages": [{"role": "user", "content": "[mock:words=200] go"}],
    }
    with contextlib.ExitStack() as streams:
        client = streams.enter_context(httpx.Client(base_url=base, headers=headers, timeout=30))
        lines = []  # kept: dropping a reader would close its connection
        for _ in range(BOUND):
            r = streams.enter_context(client.stream("POST", CHAT, json=chat))
            assert r.status_code == 200, r.read()
            lines.append(r.iter_lines())
            assert next(lines[-1]).startswith("data: ")  # in flight
        refused = client.post(CHAT, json={**chat, "stream": False})
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "overloaded"
        assert refused.headers["retry-after"] == "1"
        assert client.get(HEALTH).status_code == 200
    # The streams were cut by their clients: their slots are free again.
    deadline = time.monotonic() + 10
    while True:
        r = httpx.post(base + CHAT, json={**chat, "stream": False}, headers=headers, timeout=30)
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)  # the cancellation reaches the core a moment after the close
    assert r.status_code == 200, r.text


def test_one_process_counts_a_request_once(tmp_path: Path, mock_url: str) -> None:
    """``spidergate serve``: the bridge's calls reach the core in-process, so a bound of
    3 serves 3 streams (not 1 or 2) and refuses the 4th."""
    g = start_gateway(tmp_path, "--mock-url", mock_url, "--max-concurrent-requests", str(BOUND))
    try:
        _fill_and_overflow(g.base, g.token)
        assert httpx.get(g.base + "/metrics").status_code == 200
    finally:
        g.stop()


def test_the_core_apart_sheds_with_the_same_503(tmp_path: Path, mock_url: str) -> None:
    """``serve core`` with a bound of 3 behind a bridge with the default bound: the core's
    refusal reaches the HTTP client as the same 503 overloaded with Retry-After, and the
    bridge's /health (the core's GetHealth) is never refused."""
    data = tmp_path / "data"
    token = _mint(data)
    grpc_port, http_port = free_port(), free_port()
    core = _spawn(
        [
            *CLI,
            *("serve", "core", "--demo", "--mock-url", mock_url, "--data-dir", str(data)),
            *("--grpc-port", str(grpc_port), "--max-concurrent-requests", str(BOUND)),
        ],
        tmp_path / "core.log",
    )
    bridge = _spawn(
        [*CLI, "serve", "bridge", "--core", f"127.0.0.1:{grpc_port}", "--port", str(http_port)],
        tmp_path / "bridge.log",
    )
    base = f"http://127.0.0.1:{http_port}"
    try:
        _wait_ready(base + HEALTH, bridge, tmp_path / "bridge.log")
        _fill_and_overflow(base, token)
    finally:
        for proc in (bridge, core):
            proc.terminate()
            proc.wait(20)

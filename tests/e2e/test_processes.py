"""The CLI's processes as a user runs them: core and bridge apart over real gRPC, the
bridge without a core, and SIGTERM finishing requests and streams that are in flight."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.stack import free_port

PY = sys.executable
CLI = [PY, "-m", "gate_service.cli.main"]


def _env() -> dict[str, str]:
    # No real provider keys leak in from the developer's shell.
    return {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}


def _wait_http(url: str, timeout: float = 30, *, status: int | None = 200) -> httpx.Response:
    """Poll until ``url`` answers (with ``status``, unless None: any answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = httpx.get(url, timeout=5)
            if status is None or r.status_code == status:
                return r
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(url)


class Procs:
    """Background processes, all stopped at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.started: list[subprocess.Popen[str]] = []

    def start(self, args: list[str], name: str) -> subprocess.Popen[str]:
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 - lives with the process
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, text=True, env=_env())
        self.started.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text()

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Procs]:
    p = Procs(tmp_path)
    yield p
    p.stop_all()


@pytest.fixture
def mock_url(procs: Procs) -> str:
    port = free_port()
    procs.start([PY, "-m", "mock_provider", "--port", str(port)], "mock")
    url = f"http://127.0.0.1:{port}"
    _wait_http(url + "/__mock/health")
    return url


def _mint(data_dir: Path) -> str:
    subprocess.run(
        [*CLI, "brand", "create", "acme", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        env=_env(),
    )
    out = subprocess.run(
        [*CLI, "token", "mint", "--brand", "acme", "--name", "agent", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
        env=_env(),
    ).stdout
    return out.strip().splitlines()[-1]


def _chat(base: str, token: str, **body: object) -> httpx.Response:
    payload = {"model": "spideriq/fast", "messages": [{"role": "user", "content": "hi"}], **body}
    return httpx.post(
        base + "/chat/completions",
        json=payload,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def test_core_and_bridge_apart_over_grpc(procs: Procs, mock_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    token = _mint(data)
    grpc_port, http_port = free_port(), free_port()
    procs.start(
        [
            *CLI,
            "serve",
            "core",
            "--demo",
            "--mock-url",
            mock_url,
            "--data-dir",
            str(data),
            "--grpc-port",
            str(grpc_port),
        ],
        "core",
    )
    procs.start(
        [*CLI, "serve", "bridge", "--core", f"127.0.0.1:{grpc_port}", "--port", str(http_port)],
        "bridge",
    )
    base = f"http://127.0.0.1:{http_port}/api/gate/v1"
    try:
        _wait_http(base + "/health")
    except TimeoutError:
        pytest.fail(procs.log("core") + procs.log("bridge"))
    r = _chat(base, token)
    assert r.status_code == 200 and r.json()["model"] == "llama-3.1-8b-instant"
    r = _chat(base, token, stream=True)
    assert r.text.rstrip().endswith("data: [DONE]")
    r = _chat(base, token, model="nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    r = _chat(base, "spideriq_pat_" + "1" * 32)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_bridge_without_a_core_answers_503(procs: Procs) -> None:
    http_port = free_port()
    procs.start(
        [*CLI, "serve", "bridge", "--core", f"127.0.0.1:{free_port()}", "--port", str(http_port)],
        "bridge",
    )
    base = f"http://127.0.0.1:{http_port}/api/gate/v1"
    r = _wait_http(base + "/health", status=None)
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "service_unavailable"
    r = _chat(base, "spideriq_pat_" + "1" * 32)
    assert r.status_code == 503 and r.json()["error"]["code"] == "service_unavailable"


def test_sigterm_finishes_requests_and_streams_in_flight(
    procs: Procs, mock_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    token = _mint(data)
    http_port = free_port()
    server = procs.start(
        [
            *CLI,
            "serve",
            "--demo",
            "--mock-url",
            mock_url,
            "--data-dir",
            str(data),
            "--port",
            str(http_port),
            "--grpc-port",
            str(free_port()),
        ],
        "gateway",
    )
    base = f"http://127.0.0.1:{http_port}/api/gate/v1"
    _wait_http(base + "/health")
    # A slow stream (20 chunks, 100 ms apart) and a slow plain answer (1.5 s).
    httpx.post(
        mock_url + "/__mock/faults",
        json={
            "kind": "slow_stream",
            "chunk_delay_ms": 100,
            "match": {"model": "llama-3.3-70b-versatile"},
        },
    ).raise_for_status()
    httpx.post(
        mock_url + "/__mock/faults",
        json={"kind": "delay", "delay_ms": 1500, "match": {"model": "llama-3.1-8b-instant"}},
    ).raise_for_status()
    results: dict[str, httpx.Response] = {}

    def stream() -> None:
        results["stream"] = _chat(
            base,
            token,
            model="spideriq/chat",
            stream=True,
            messages=[{"role": "user", "content": "[mock:words=20] go"}],
        )

    def plain() -> None:
        results["plain"] = _chat(base, token)

    threads = [threading.Thread(target=stream), threading.Thread(target=plain)]
    for t in threads:
        t.start()
    time.sleep(0.6)
    server.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(30)
    assert server.wait(30) == 0, procs.log("gateway")
    assert results["plain"].status_code == 200, results["plain"].text
    body = results["stream"].text
    events = [line[6:] for line in body.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert not any('"error"' in e for e in events), body
    content = "".join(
        (json.loads(e)["choices"][0]["delta"].get("content") or "")
        for e in events[:-1]
        if json.loads(e)["choices"]
    )
    assert len(content.split()) >= 20
    assert "stopped" in procs.log("gateway")

"""The CLI's processes as a user runs them: core and bridge apart over real gRPC, the
bridge without a core, and SIGTERM finishing requests and streams that are in flight."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.processes import CLI, Procs, mint, wait_http
from tests.stack import free_port


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
    token = mint(data)
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
        wait_http(base + "/health")
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
    r = wait_http(base + "/health", status=None)
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "service_unavailable"
    r = _chat(base, "spideriq_pat_" + "1" * 32)
    assert r.status_code == 503 and r.json()["error"]["code"] == "service_unavailable"


def test_sigterm_finishes_requests_and_streams_in_flight(
    procs: Procs, mock_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    token = mint(data)
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
            # The listener closes at once: what is in flight then must still finish (the
            # drain before it, --drain-delay, is test_drain.py's).
            "--drain-delay",
            "0",
        ],
        "gateway",
    )
    base = f"http://127.0.0.1:{http_port}/api/gate/v1"
    wait_http(base + "/health")
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

"""The drain before shutdown (``--drain-delay``, gate_service/cli/stopping.py), as a user
runs the processes: at SIGTERM readiness turns false while the process still serves, for
the delay, then the listener closes; liveness stays OK throughout; a second signal skips
what is left of the delay. The whole rolling restart behind HAProxy is
``test_rolling_restart.py``; the grace after the drain, ``test_processes.py`` and
``test_shutdown.py``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from spidergate.v1 import catalog_pb2, catalog_pb2_grpc
from tests.e2e.processes import CLI, Procs, mint, wait_http
from tests.stack import free_port

STREAM_MODEL = "llama-3.3-70b-versatile"


def _stream(base: str, token: str, events: list[str]) -> None:
    body = {
        "model": STREAM_MODEL,
        "stream": True,
        "messages": [{"role": "user", "content": "[mock:words=40] go"}],
    }
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.stream(
        "POST", base + "/chat/completions", json=body, headers=headers, timeout=60
    ) as r:
        events.extend(line[6:] for line in r.iter_lines() if line.startswith("data: "))


def _refused(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.ConnectError:
        return True
    return False


def test_sigterm_turns_readiness_off_while_still_serving_then_closes(
    procs: Procs, mock_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    token = mint(data)
    port = free_port()
    delay_s = 4.0
    server = procs.start(
        [
            *CLI,
            *("serve", "--demo", "--mock-url", mock_url, "--data-dir", str(data)),
            *("--port", str(port), "--grpc-port", str(free_port())),
            *("--drain-delay", str(delay_s)),
        ],
        "gateway",
    )
    root = f"http://127.0.0.1:{port}"
    base = root + "/api/gate/v1"
    wait_http(base + "/ready")
    assert httpx.get(base + "/health").status_code == 200
    # A stream of 40 chunks 50 ms apart (~2 s), in flight at SIGTERM.
    httpx.post(
        mock_url + "/__mock/faults",
        json={"kind": "slow_stream", "chunk_delay_ms": 50, "match": {"model": STREAM_MODEL}},
    ).raise_for_status()
    events: list[str] = []
    streaming = threading.Thread(target=_stream, args=(base, token, events))
    streaming.start()
    while len(events) < 3:
        assert streaming.is_alive(), events
        time.sleep(0.01)
    sigterm_at = time.monotonic()
    server.send_signal(signal.SIGTERM)

    # Not ready, in the envelope; alive; and still serving, on new connections too.
    not_ready = wait_http(base + "/ready", status=503)
    assert not_ready.json()["error"]["code"] == "service_unavailable"
    assert "draining" in not_ready.json()["error"]["message"]
    for path in ("/api/gate/v1/health", "/v1/health", "/metrics"):
        assert httpx.get(root + path).status_code == 200, path
    with httpx.Client() as fresh:
        served = fresh.post(
            base + "/chat/completions",
            json={"model": "llama-3.1-8b-instant", "messages": [{"role": "user", "content": "hi"}]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
    assert served.status_code == 200, served.text
    # Kept-alive connections are told to go (to another replica, behind a balancer).
    assert served.headers["connection"] == "close"
    assert time.monotonic() - sigterm_at < delay_s  # all of it within the delay

    # Then the listener closes, the stream in flight finishes whole, the process exits.
    while not _refused(base + "/health"):
        assert time.monotonic() - sigterm_at < delay_s + 15, procs.log("gateway")
        time.sleep(0.05)
    assert time.monotonic() - sigterm_at >= delay_s - 0.2
    streaming.join(30)
    assert events[-1] == "[DONE]" and not any('"error"' in e for e in events), events[-3:]
    content = "".join(
        json.loads(e)["choices"][0]["delta"].get("content") or ""
        for e in events[:-1]
        if json.loads(e)["choices"]
    )
    assert len(content.split()) == 40
    assert server.wait(30) == 0, procs.log("gateway")
    log = procs.log("gateway")
    assert "draining: not ready, still serving for 4 s" in log and "stopped" in log, log


def _health(target: str) -> int:
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        # types-grpcio-health-checking declares HealthStub without Check (test_reflection.py).
        answer = stub.Check(  # type: ignore[attr-defined]
            health_pb2.HealthCheckRequest(service=""), timeout=5
        )
        return int(answer.status)


def _list_models(target: str) -> int:
    """A call of the core's own API on a fresh connection: how many models it lists."""
    with grpc.insecure_channel(target) as channel:
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        return len(stub.ListModels(catalog_pb2.ListModelsRequest(), timeout=10).models)


def test_core_and_bridge_apart_drain_and_a_second_signal_skips_the_delay(
    procs: Procs, mock_url: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    mint(data)
    grpc_port, http_port = free_port(), free_port()
    long_delay = ("--drain-delay", "120")  # only a second signal ends it within the test
    core = procs.start(
        [
            *CLI,
            *("serve", "core", "--demo", "--mock-url", mock_url, "--data-dir", str(data)),
            *("--grpc-port", str(grpc_port), *long_delay),
        ],
        "core",
    )
    bridge = procs.start(
        [
            *CLI,
            *("serve", "bridge", "--core", f"127.0.0.1:{grpc_port}"),
            *("--port", str(http_port), *long_delay),
        ],
        "bridge",
    )
    base = f"http://127.0.0.1:{http_port}/api/gate/v1"
    wait_http(base + "/ready")
    target = f"127.0.0.1:{grpc_port}"
    assert _health(target) == health_pb2.HealthCheckResponse.SERVING

    # The bridge: not ready, alive (its core still answers), then gone at a second signal.
    bridge.send_signal(signal.SIGTERM)
    wait_http(base + "/ready", status=503)
    assert httpx.get(base + "/health").status_code == 200
    bridge.send_signal(signal.SIGTERM)
    assert bridge.wait(15) == 0, procs.log("bridge")

    # The core: NOT_SERVING for health checks (bridges leave it), yet it still takes
    # calls, until a second signal.
    core.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    while _health(target) != health_pb2.HealthCheckResponse.NOT_SERVING:
        assert time.monotonic() < deadline, procs.log("core")
        time.sleep(0.05)
    assert core.poll() is None and _list_models(target) > 0
    core.send_signal(signal.SIGTERM)
    assert core.wait(15) == 0, procs.log("core")
    for name in ("core", "bridge"):
        assert "draining: not ready" in procs.log(name), procs.log(name)


def test_a_negative_delay_is_refused_at_start(tmp_path: Path) -> None:
    done = subprocess.run(
        [*CLI, "serve", "--data-dir", str(tmp_path), "--drain-delay", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--drain-delay" in done.stderr, done.stderr

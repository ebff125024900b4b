"""SIGTERM with requests still running past the grace period (api.md, "Streaming"): a
stream gets what the upstream sends during the grace, then one error event and
``[DONE]``, never a silent cut; a plain request still waiting gets a 503 in the envelope;
both are billed for what they produced and recorded as ``shutdown``; the process exits
cleanly. Run as a user runs it: ``spidergate serve`` in a process of its own.
"""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.processes import CLI, PY, Procs, mint, wait_http
from tests.stack import free_port

GRACE_S = 1.5


def _serve(procs: Procs, data: Path, mock_url: str, http_port: int, name: str) -> Any:
    return procs.start(
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
            "--shutdown-grace",
            str(GRACE_S),
            # The grace from SIGTERM on: no drain before it (test_drain.py has that).
            "--drain-delay",
            "0",
        ],
        name,
    )


def test_requests_past_the_grace_are_ended_cleanly_billed_and_recorded(
    procs: Procs, tmp_path: Path
) -> None:
    mock_port = free_port()
    procs.start([PY, "-m", "mock_provider", "--port", str(mock_port)], "mock")
    mock_url = f"http://127.0.0.1:{mock_port}"
    wait_http(mock_url + "/__mock/health")
    data = tmp_path / "data"
    token = mint(data)
    http_port = free_port()
    server = _serve(procs, data, mock_url, http_port, "gateway")
    base = f"http://127.0.0.1:{http_port}/api/gate/v1"
    wait_http(base + "/health")
    # gpt-4o (priced) streams 200 words 100 ms apart (~20 s); gpt-4o-mini never answers.
    faults = [
        {"kind": "slow_stream", "chunk_delay_ms": 100, "match": {"model": "gpt-4o"}},
        {"kind": "delay", "delay_ms": 600_000, "match": {"model": "gpt-4o-mini"}},
    ]
    for fault in faults:
        httpx.post(mock_url + "/__mock/faults", json=fault).raise_for_status()
    headers = {"Authorization": f"Bearer {token}"}
    stream_id, plain_id = uuid.uuid4().hex, uuid.uuid4().hex
    events: list[str] = []
    chunks_before_sigterm = threading.Event()
    plain: dict[str, httpx.Response] = {}

    def stream() -> None:
        body = {
            "model": "gpt-4o",
            "stream": True,
            "messages": [{"role": "user", "content": "[mock:words=200] go"}],
        }
        with httpx.stream(
            "POST",
            base + "/chat/completions",
            json=body,
            headers={**headers, "X-Request-Id": stream_id},
            timeout=60,
        ) as r:
            for line in r.iter_lines():
                if line.startswith("data: "):
                    events.append(line[6:])
                    if len(events) == 3:
                        chunks_before_sigterm.set()

    def wait_plain() -> None:
        plain["r"] = httpx.post(
            base + "/chat/completions",
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
            headers={**headers, "X-Request-Id": plain_id},
            timeout=60,
        )

    threads = [threading.Thread(target=stream), threading.Thread(target=wait_plain)]
    for t in threads:
        t.start()
    assert chunks_before_sigterm.wait(30), procs.log("gateway")
    sigterm_at = time.monotonic()
    server.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(30)
    ended_after = time.monotonic() - sigterm_at
    assert server.wait(30) == 0, procs.log("gateway")

    # The stream: content during the grace, then one error event and [DONE].
    assert events[-1] == "[DONE]", events[-3:]
    error = json.loads(events[-2])["error"]
    assert error["code"] == "service_unavailable" and "shutting down" in error["message"]
    content_events = [e for e in events[:-2] if json.loads(e).get("choices")]
    assert len(content_events) > 3 + 5, len(content_events)  # it kept streaming in the grace
    assert GRACE_S - 0.2 < ended_after < GRACE_S + 3, ended_after
    # The plain request: a 503 in the envelope, not a dropped connection.
    assert plain["r"].status_code == 503, plain["r"].text
    assert plain["r"].json()["error"]["code"] == "service_unavailable"
    assert "ended 2 requests" in procs.log("gateway")

    # Both are in the ledger, as ended by shutdown; the stream billed for what it produced.
    server = _serve(procs, data, mock_url, http_port, "gateway-again")
    wait_http(base + "/health")
    traces = {}
    for rid in (stream_id, plain_id):
        r = httpx.get(f"{base}/traces/{rid}", headers=headers, timeout=10)
        assert r.status_code == 200, r.text
        traces[rid] = r.json()
    streamed = traces[stream_id]
    assert (streamed["status"], streamed["error_code"]) == (503, "shutdown")
    assert streamed["usage"]["completion_tokens"] >= 8
    assert streamed["usage"]["prompt_tokens"] > 0 and streamed["cost_usd"] > 0
    assert (traces[plain_id]["status"], traces[plain_id]["error_code"]) == (503, "shutdown")

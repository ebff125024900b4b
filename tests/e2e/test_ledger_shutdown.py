"""SIGTERM loses no ledger row: a real ``serve --demo`` process under a burst of
concurrent requests (plain and streamed) is stopped in the middle; once it has exited,
every request a client saw answered with 200 has its row in ``request_log``."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.stack import free_port

PY = sys.executable
CLI = [PY, "-m", "gate_service.cli.main"]
WORKERS = 24


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}


def _cli(*args: str) -> str:
    done = subprocess.run(
        [*CLI, *args], check=True, capture_output=True, text=True, env=_env(), timeout=60
    )
    return done.stdout


def _wait_healthy(url: str, proc: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(log.read_text())


def test_sigterm_in_a_burst_keeps_every_answered_request(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _cli("brand", "create", "acme", "--data-dir", str(data))
    token = (
        _cli("token", "mint", "--brand", "acme", "--name", "burst", "--data-dir", str(data))
        .strip()
        .splitlines()[-1]
    )
    port = free_port()
    log = tmp_path / "gateway.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                *CLI,
                "serve",
                "--demo",
                "--data-dir",
                str(data),
                "--port",
                str(port),
                "--grpc-port",
                str(free_port()),
                # The listener closes in the middle of the burst (no drain before it).
                "--drain-delay",
                "0",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env=_env(),
        )
    try:
        base = f"http://127.0.0.1:{port}/api/gate/v1"
        _wait_healthy(base + "/health", proc, log)
        answered: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()

        def worker(n: int) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            body = {
                "model": "spideriq/fast",
                "stream": n % 3 == 0,
                "messages": [{"role": "user", "content": "[mock:words=30] go"}],
            }
            with httpx.Client(timeout=30) as client:
                while not stop.is_set():
                    try:
                        r = client.post(base + "/chat/completions", json=body, headers=headers)
                    except httpx.HTTPError:
                        return  # the server stopped accepting
                    if r.status_code == 200 and (not body["stream"] or "[DONE]" in r.text):
                        with lock:
                            answered.append(r.headers["x-request-id"])

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
        for t in threads:
            t.start()
        # Stop in the middle of the burst: once it is well under way (however loaded the
        # machine), not after a fixed time.
        deadline = time.monotonic() + 60
        while len(answered) <= 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        in_flight_before = len(answered)
        proc.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join(60)
        assert proc.wait(60) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert in_flight_before > 20, log.read_text()
    with sqlite3.connect(data / "spidergate.db") as db:
        stored = {row[0] for row in db.execute("SELECT id FROM request_log")}
    missing = set(answered) - stored
    assert not missing, f"{len(missing)} of {len(answered)} answered requests have no row"
    text = log.read_text()
    assert "stopped" in text and f"closed; {len(stored)} written, 0 dropped" in text, text

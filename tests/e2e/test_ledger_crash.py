"""SIGKILL loses no answered request's record: a real ``serve --demo`` process under a burst
of concurrent requests (plain and streamed, with our own ``X-Request-Id``) is killed in the
middle; restarted on the same data directory, it writes from its journal every request a
client saw answered with 200, once.

Two cases: the ledger writer running as usual (at the kill, most of the burst is in the
database and the last fraction of a second's only in the journal), and the writer blocked
by a write lock held on the SQLite file (nothing reaches the database: every answered
record must come from the journal)."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.stack import free_port

PY = sys.executable
CLI = [PY, "-m", "gate_service.cli.main"]
WORKERS = 24
PREFIX = "crash-"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}


def _cli(*args: str) -> str:
    done = subprocess.run(
        [*CLI, *args], check=True, capture_output=True, text=True, env=_env(), timeout=60
    )
    return done.stdout


class Gateway:
    """``spidergate serve --demo`` on a data directory, as a subprocess."""

    def __init__(self, data: Path, log: Path) -> None:
        self.port = free_port()
        self.log = log
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [
                    *CLI,
                    *("serve", "--demo", "--data-dir", str(data), "--port", str(self.port)),
                    *("--drain-delay", "0"),
                    *("--grpc-port", str(free_port())),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                env=_env(),
            )
        self.base = f"http://127.0.0.1:{self.port}/api/gate/v1"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, log.read_text()
            try:
                if httpx.get(self.base + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(log.read_text())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def _stored(db_file: Path) -> list[str]:
    with sqlite3.connect(db_file, timeout=30) as db:
        return [r[0] for r in db.execute("SELECT id FROM request_log WHERE id LIKE 'crash-%'")]


@contextmanager
def _write_locked(db_file: Path, hold: bool) -> Iterator[None]:
    """Hold SQLite's write lock (the ledger writer then waits; readers do not)."""
    if not hold:
        yield
        return
    db = sqlite3.connect(db_file, timeout=30, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
    finally:
        db.execute("ROLLBACK")
        db.close()


class Burst:
    """Concurrent clients sending plain and streamed requests until the server dies."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.answered: list[str] = []  # 200, and a stream's [DONE] seen
        self.sent: list[str] = []
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._threads = [threading.Thread(target=self._worker, args=(n,)) for n in range(WORKERS)]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def join(self) -> None:
        for t in self._threads:
            t.join(60)

    def _worker(self, n: int) -> None:
        stream = n % 3 == 0
        body = {
            "model": "spideriq/fast",
            "stream": stream,
            "messages": [{"role": "user", "content": "[mock:words=30] go"}],
        }
        with httpx.Client(timeout=30) as client:
            while True:
                rid = f"{PREFIX}{n}-{next(self._ids)}"
                with self._lock:
                    self.sent.append(rid)
                headers = {"Authorization": f"Bearer {self.token}", "X-Request-Id": rid}
                try:
                    r = client.post(self.base + "/chat/completions", json=body, headers=headers)
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 200 and (not stream or "data: [DONE]" in r.text):
                    with self._lock:
                        self.answered.append(r.headers["x-request-id"])


@pytest.mark.timeout(300)
@pytest.mark.parametrize("writer", ["running", "blocked"])
def test_sigkill_in_a_burst_loses_no_answered_request(tmp_path: Path, writer: str) -> None:
    data = tmp_path / "data"
    _cli("brand", "create", "acme", "--data-dir", str(data))
    token = (
        _cli("token", "mint", "--brand", "acme", "--name", "burst", "--data-dir", str(data))
        .strip()
        .splitlines()[-1]
    )
    db_file = data / "spidergate.db"
    first = Gateway(data, tmp_path / "first.log")
    burst = Burst(first.base, token)
    try:
        with _write_locked(db_file, hold=writer == "blocked"):
            burst.start()
            deadline = time.monotonic() + 60
            while len(burst.answered) < 300 and time.monotonic() < deadline:
                time.sleep(0.02)
            first.proc.send_signal(signal.SIGKILL)
            assert first.proc.wait(10) == -signal.SIGKILL
            burst.join()
            at_kill = set(_stored(db_file))
    finally:
        first.stop()
    answered = burst.answered
    assert len(answered) >= 300, first.log.read_text()
    if writer == "blocked":
        assert at_kill == set()  # every answered record is only in the journal

    second = Gateway(data, tmp_path / "second.log")
    try:
        deadline = time.monotonic() + 60
        stored = _stored(db_file)
        while not set(answered) <= set(stored) and time.monotonic() < deadline:
            time.sleep(0.1)
            stored = _stored(db_file)
        missing = set(answered) - set(stored)
        assert not missing, f"{len(missing)} of {len(answered)} answered requests have no row"
        assert len(stored) == len(set(stored)) and set(stored) <= set(burst.sent)
        trace = httpx.get(
            f"{second.base}/traces/{answered[-1]}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert trace.status_code == 200 and trace.json()["id"] == answered[-1]
        second.proc.send_signal(signal.SIGTERM)
        assert second.proc.wait(60) == 0, second.log.read_text()
    finally:
        second.stop()
    log = second.log.read_text()
    assert ", 0 dropped" in log, log
    if writer == "blocked":
        assert "left in the journal by a previous run" in log, log

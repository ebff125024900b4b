"""The harness of the gateway's bound tests: ``spidergate serve`` as a user runs it (a
subprocess, pinned to core 0 when the machine has two, so the tests' clients do not take
its CPU), and probes that time ``/health`` and ``/metrics`` while a test loads it."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.stack import free_port

PY = sys.executable
CLI = [PY, "-m", "gate_service.cli.main"]
PINNED = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
MB = 1024 * 1024
CHAT = "/api/gate/v1/chat/completions"
HEALTH = "/api/gate/v1/health"
# A model the mock serves: the chat requests the bound tests send.
SLOW_MODEL = "llama-3.1-8b-instant"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}


@dataclass
class Gateway:
    proc: subprocess.Popen[bytes]
    port: int
    token: str
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def memory_kb(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS) of the gateway process, in kB."""
        out = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
        return out

    def reset_peak(self) -> None:
        """Start VmHWM afresh from the current RSS (Linux: ``clear_refs`` 5)."""
        Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def _cli(*args: str) -> str:
    done = subprocess.run([*CLI, *args], check=True, capture_output=True, text=True, env=_env())
    return done.stdout


def _mint(data: Path) -> str:
    """A brand and an agent token in the data dir ``data`` (before the gateway starts)."""
    _cli("brand", "create", "acme", "--data-dir", str(data))
    out = _cli("token", "mint", "--brand", "acme", "--name", "agent", "--data-dir", str(data))
    return out.strip().splitlines()[-1]


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the gateway exited:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    pytest.fail(f"the gateway did not start:\n{log.read_text()}")


def _spawn(command: list[str], log: Path, core: int = 0) -> subprocess.Popen[bytes]:
    """A process of ours pinned to ``core`` (when there are two), its output in ``log``."""
    with log.open("w") as out:
        return subprocess.Popen(
            (["taskset", "-c", str(core)] if PINNED else []) + command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_env(),
        )


def start_gateway(tmp: Path, *args: str) -> Gateway:
    """``spidergate serve --demo`` (core, bridge and mock in one process) with ``args``."""
    data = tmp / "data"
    token = _mint(data)
    port = free_port()
    log = tmp / "gateway.log"
    proc = _spawn(
        [
            *CLI,
            *("serve", "--demo", "--data-dir", str(data), "--drain-delay", "0"),
            *("--port", str(port), "--grpc-port", str(free_port())),
            *args,
        ],
        log,
    )
    gateway = Gateway(proc, port, token, log)
    _wait_ready(gateway.base + HEALTH, proc, log)
    return gateway


@contextlib.contextmanager
def on_core_1() -> Iterator[None]:
    """Run this process's clients on core 1, off the gateway's core."""
    if not PINNED:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {1})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


class HealthProbe:
    """Polls ``/health`` in a thread and keeps each answer's latency."""

    path = HEALTH

    def __init__(self, base: str) -> None:
        self._url = base + self.path
        self.latencies: list[float] = []
        self.statuses: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                status = client.get(self._url).status_code
                self.latencies.append(time.perf_counter() - started)
                self.statuses.add(status)
                self._stop.wait(0.01)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)


class MetricsProbe(HealthProbe):
    """The same on ``/metrics``, which the bridge answers without asking the core."""

    path = "/metrics"

"""Gateway processes as a user runs them, for tests that start ``spidergate`` commands:
background processes stopped at the end (:class:`Procs`), a mock provider process, and a
brand with an agent token made through the CLI. The fixtures are in ``conftest.py``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.stack import free_port

PY = sys.executable
CLI = [PY, "-m", "gate_service.cli.main"]


def env() -> dict[str, str]:
    # No real provider keys leak in from the developer's shell.
    return {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}


def wait_http(url: str, timeout: float = 30, *, status: int | None = 200) -> httpx.Response:
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
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, text=True, env=env())
        self.started.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text()

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def start_mock(procs: Procs) -> str:
    """A mock provider process; its base URL once it answers."""
    port = free_port()
    procs.start([PY, "-m", "mock_provider", "--port", str(port)], "mock")
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/__mock/health")
    return url


def mint(data_dir: Path) -> str:
    subprocess.run(
        [*CLI, "brand", "create", "acme", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        env=env(),
    )
    out = subprocess.run(
        [*CLI, "token", "mint", "--brand", "acme", "--name", "agent", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
        env=env(),
    ).stdout
    return out.strip().splitlines()[-1]

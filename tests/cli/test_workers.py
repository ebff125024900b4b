"""``serve --workers``: the count, the ports, and the refusals a user can meet
(``gate_service/cli/workers.py``, ``reuseport.py``). The workers themselves run in
``tests/e2e/test_workers.py``."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from gate_service.cli.reuseport import claim_port, reuse_port_socket
from gate_service.cli.workers import WorkerCountError, worker_count
from tests.e2e.processes import CLI, env


def test_worker_count_takes_a_number_or_auto() -> None:
    assert worker_count("3") == 3
    assert worker_count("auto") == len(os.sched_getaffinity(0))
    for bad in ("0", "-1", "two", ""):
        with pytest.raises(WorkerCountError):
            worker_count(bad)


def test_workers_share_a_port_but_a_port_in_use_is_refused() -> None:
    port = claim_port("127.0.0.1", 0)
    first, second = reuse_port_socket("127.0.0.1", port), reuse_port_socket("127.0.0.1", port)
    try:
        first.listen()
        second.listen()  # both listen: the kernel spreads connections over them
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
            claim_port("127.0.0.1", port)  # a gateway already there is not joined
    finally:
        first.close()
        second.close()
    with socket.socket() as plain:  # nor is any other listener
        plain.bind(("127.0.0.1", 0))
        plain.listen()
        with pytest.raises(OSError):
            claim_port("127.0.0.1", plain.getsockname()[1])


def _serve(tmp_path: Path, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    run_env = env()
    if path is not None:
        run_env["PATH"] = path
    return subprocess.run(
        [*CLI, "serve", "--data-dir", str(tmp_path), "--port", "0", "--grpc-port", "0", *args],
        capture_output=True,
        text=True,
        env=run_env,
        timeout=60,
    )


def test_bad_worker_counts_are_refused(tmp_path: Path) -> None:
    done = _serve(tmp_path, "--workers", "none")
    assert done.returncode == 2
    assert "--workers: expected a number of processes or 'auto'" in done.stderr


def test_several_workers_without_redis_say_what_to_do(tmp_path: Path) -> None:
    done = _serve(tmp_path, "--workers", "2", path=str(tmp_path / "empty-path"))
    assert done.returncode == 1
    assert "pass --redis-url, or install redis-server" in done.stderr, done.stderr
    assert not (tmp_path / "spidergate.db").exists()  # refused before anything started

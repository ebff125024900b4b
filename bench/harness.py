"""Process, port and HTTP-probe plumbing for the benchmark (standard library only).

Everything the benchmark starts goes through :class:`ProcessRegistry`, which puts each
child in its own session (so the whole process group can be signalled, including the
workers a server forks) and tears them all down on exit, on an exception or on Ctrl-C.
Running wrk and reading its numbers is in :mod:`wrk`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: Cores: the system under test gets core 0; the mock provider and wrk share core 1.
GATEWAY_CORE = "0"
DRIVER_CORE = "1"


class BenchError(RuntimeError):
    """A step of the benchmark failed in a way that is reported, not raised further."""


def free_port() -> int:
    """A TCP port that was free a moment ago (bind port 0 and let the kernel pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(core: str, argv: Sequence[str]) -> list[str]:
    """``argv`` run under ``taskset -c core`` when taskset exists (children inherit it)."""
    if shutil.which("taskset") is None:
        return list(argv)
    return ["taskset", "-c", core, *argv]


def tail(path: Path, lines: int = 25) -> str:
    """The last ``lines`` lines of a log file, for error messages."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


@dataclass
class Managed:
    """One started process with its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    #: ``time.monotonic()`` just before the process was started (time to ready counts
    #: from here).
    started_at: float = 0.0

    def alive(self) -> bool:
        return self.popen.poll() is None

    def describe_exit(self) -> str:
        return (
            f"{self.name} exited with status {self.popen.returncode}; log tail:\n{tail(self.log)}"
        )


class ProcessRegistry:
    """Starts processes in their own process group and kills every one of them on close."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._procs: list[Managed] = []

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        unset: Sequence[str] = (),
    ) -> Managed:
        """Start ``argv`` (stdout and stderr to ``<log_dir>/<name>.log``) in a new session."""
        log = self.log_dir / f"{name}.log"
        full_env = dict(os.environ)
        full_env["PYTHONUNBUFFERED"] = "1"
        if env:
            full_env.update(env)
        for variable in unset:
            full_env.pop(variable, None)
        with open(log, "ab") as handle:
            handle.write(f"$ {' '.join(argv)}\n".encode())
            handle.flush()
            started_at = time.monotonic()
            popen = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=full_env,
                cwd=str(cwd) if cwd else None,
                start_new_session=True,
            )
        managed = Managed(name, popen, log, started_at)
        self._procs.append(managed)
        return managed

    def stop(self, managed: Managed, grace: float = 5.0) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after ``grace`` s."""
        pgid = managed.popen.pid
        if managed.alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                managed.popen.wait(timeout=grace)
        # The leader may be gone while forked workers linger in its group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            managed.popen.wait(timeout=grace)
        if managed in self._procs:
            self._procs.remove(managed)

    def close(self) -> None:
        """Stop everything still registered, newest first."""
        for managed in reversed(list(self._procs)):
            self.stop(managed)


def wait_for_log_line(managed: Managed, pattern: str, timeout: float) -> re.Match[str]:
    """Poll ``managed``'s log until a line matches ``pattern``; raise on exit or timeout."""
    regex = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            match = regex.search(managed.log.read_text(errors="replace"))
            if match:
                return match
        if not managed.alive():
            raise BenchError(managed.describe_exit())
        time.sleep(0.1)
    raise BenchError(
        f"{managed.name}: no line matching {pattern!r} after {timeout:g}s; log tail:\n"
        f"{tail(managed.log)}"
    )


@dataclass
class HttpReply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def http_request(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> HttpReply:
    """One HTTP request; any status is returned, connection failures raise ``OSError``."""
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpReply(response.status, response.read(), dict(response.headers.items()))
    except urllib.error.HTTPError as exc:
        return HttpReply(exc.code, exc.read(), dict(exc.headers.items()))


def wait_for_http(
    url: str,
    managed: Managed,
    timeout: float,
    *,
    ok: Sequence[int] = (200,),
    headers: Mapping[str, str] | None = None,
) -> float:
    """Poll ``GET url`` until it answers one of ``ok``; raise on process exit or timeout.

    Returns the time to ready: seconds from the process's start to that first answer.
    Polls every 20 ms (a refused connection costs next to nothing), so the figure is
    good to a few hundredths of a second.
    """
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not managed.alive():
            raise BenchError(managed.describe_exit())
        try:
            reply = http_request(url, headers=headers, timeout=2.0)
            if reply.status in ok:
                return time.monotonic() - managed.started_at
            last = f"HTTP {reply.status}: {reply.text()[:200]}"
        except (OSError, ValueError) as exc:
            last = str(exc)
        time.sleep(0.02)
    raise BenchError(
        f"{managed.name} not ready at {url} after {timeout:g}s ({last}); log tail:\n"
        f"{tail(managed.log)}"
    )


def run_quiet(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 120.0,
) -> subprocess.CompletedProcess[str]:
    """Run a short command to completion; raise :class:`BenchError` with its output on failure."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    try:
        done = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"{' '.join(argv)}: {exc}") from exc
    if done.returncode != 0:
        raise BenchError(
            f"{' '.join(argv)} exited {done.returncode}:\n{(done.stdout + done.stderr)[-2000:]}"
        )
    return done


def json_body(payload: Mapping[str, object]) -> bytes:
    """Compact JSON bytes (what wrk sends and what the probes send)."""
    return json.dumps(payload, separators=(",", ":")).encode()

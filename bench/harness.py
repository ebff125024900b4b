"""Process, port, HTTP-probe and wrk plumbing for the benchmark (standard library only).

Everything the benchmark starts goes through :class:`ProcessRegistry`, which puts each
child in its own session (so the whole process group can be signalled, including the
workers a server forks) and tears them all down on exit, on an exception or on Ctrl-C.
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
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
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
            popen = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=full_env,
                cwd=str(cwd) if cwd else None,
                start_new_session=True,
            )
        managed = Managed(name, popen, log)
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
) -> None:
    """Poll ``GET url`` until it answers one of ``ok``; raise on process exit or timeout."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not managed.alive():
            raise BenchError(managed.describe_exit())
        try:
            reply = http_request(url, headers=headers, timeout=2.0)
            if reply.status in ok:
                return
            last = f"HTTP {reply.status}: {reply.text()[:200]}"
        except (OSError, ValueError) as exc:
            last = str(exc)
        time.sleep(0.2)
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


# --------------------------------------------------------------------------- wrk


@dataclass(frozen=True)
class Target:
    """What wrk hits: one URL, one method/body/header set."""

    url: str
    body: bytes
    headers: dict[str, str]
    method: str = "POST"


@dataclass
class WrkResult:
    """The numbers of one wrk run (latencies in milliseconds)."""

    requests: int = 0
    duration_s: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    non2xx: int = 0
    connect_errors: int = 0
    read_errors: int = 0
    write_errors: int = 0
    timeouts: int = 0
    ok: bool = True
    note: str = ""

    @property
    def errors(self) -> int:
        return (
            self.non2xx + self.connect_errors + self.read_errors + self.write_errors + self.timeouts
        )

    def error_breakdown(self) -> str:
        parts = [
            (self.non2xx, "non-2xx"),
            (self.connect_errors, "connect"),
            (self.read_errors, "read"),
            (self.write_errors, "write"),
            (self.timeouts, "timeout"),
        ]
        return ", ".join(f"{label} {count}" for count, label in parts if count)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["errors"] = self.errors
        return data


def lua_string(value: str) -> str:
    """A Lua double-quoted string literal for ``value``."""
    out = ['"']
    for char in value:
        code = ord(char)
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif code < 32 or code == 127:
            out.append(f"\\{code:03d}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


_DONE_FUNCTION = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%f p90_us=%f p99_us=%f max_us=%f " ..
    "non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def write_lua_script(target: Target, path: Path) -> Path:
    """Write the wrk script: request method, body and headers, plus a parseable ``done()``."""
    lines = [
        "-- generated by bench/harness.py",
        f"wrk.method = {lua_string(target.method)}",
        f"wrk.body = {lua_string(target.body.decode())}",
    ]
    for name, value in target.headers.items():
        lines.append(f"wrk.headers[{lua_string(name)}] = {lua_string(value)}")
    path.write_text("\n".join(lines) + "\n" + _DONE_FUNCTION)
    return path


_BENCH_LINE = re.compile(r"^BENCH (.*)$", re.MULTILINE)
_RPS_LINE = re.compile(r"Requests/sec:\s*([0-9.]+)")
_NON2XX_LINE = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)")
_SOCKET_LINE = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def parse_wrk_output(output: str) -> WrkResult:
    """Numbers from wrk's stdout: our ``BENCH`` line plus wrk's own summary lines."""
    result = WrkResult()
    bench = _BENCH_LINE.search(output)
    if bench is None:
        result.ok = False
        result.note = "wrk printed no BENCH line"
    else:
        fields: dict[str, float] = {}
        for item in bench.group(1).split():
            key, _, value = item.partition("=")
            with contextlib.suppress(ValueError):
                fields[key] = float(value)
        result.requests = int(fields.get("requests", 0))
        result.duration_s = fields.get("duration_us", 0.0) / 1e6
        result.p50_ms = fields.get("p50_us", 0.0) / 1000
        result.p90_ms = fields.get("p90_us", 0.0) / 1000
        result.p99_ms = fields.get("p99_us", 0.0) / 1000
        result.max_ms = fields.get("max_us", 0.0) / 1000
        result.non2xx = int(fields.get("non2xx", 0))
        result.connect_errors = int(fields.get("connect", 0))
        result.read_errors = int(fields.get("read", 0))
        result.write_errors = int(fields.get("write", 0))
        result.timeouts = int(fields.get("timeout", 0))
    rps = _RPS_LINE.search(output)
    if rps:
        result.rps = float(rps.group(1))
    elif result.duration_s > 0:
        result.rps = result.requests / result.duration_s
    # wrk's own summary lines are authoritative if present (they count the same things).
    non2xx = _NON2XX_LINE.search(output)
    if non2xx:
        result.non2xx = max(result.non2xx, int(non2xx.group(1)))
    sockets = _SOCKET_LINE.search(output)
    if sockets:
        connect, read, write, timeout = (int(g) for g in sockets.groups())
        result.connect_errors = max(result.connect_errors, connect)
        result.read_errors = max(result.read_errors, read)
        result.write_errors = max(result.write_errors, write)
        result.timeouts = max(result.timeouts, timeout)
    return result


def run_wrk(
    target: Target,
    *,
    connections: int,
    duration: float,
    script_dir: Path,
    timeout_s: float = 10.0,
    log: Path | None = None,
) -> WrkResult:
    """``taskset -c 1 wrk -t1 -cN -dDs --latency -s script URL`` and its parsed numbers."""
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (apt-get install wrk)")
    with tempfile.NamedTemporaryFile(
        "w", suffix=".lua", prefix="wrk-", dir=script_dir, delete=False
    ) as handle:
        script = Path(handle.name)
    write_lua_script(target, script)
    seconds = max(1, round(duration))
    argv = pinned(
        DRIVER_CORE,
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            f"--timeout={max(1, round(timeout_s))}s",
            "--latency",
            "-s",
            str(script),
            target.url,
        ],
    )
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=seconds + timeout_s + 30,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish: {exc}") from exc
    output = done.stdout + done.stderr
    if log is not None:
        with open(log, "a") as handle:
            handle.write(f"$ {' '.join(argv)}\n{output}\n")
    result = parse_wrk_output(output)
    if done.returncode != 0:
        result.ok = False
        result.note = f"wrk exited {done.returncode}: {output.strip()[-300:]}"
    return result


def json_body(payload: Mapping[str, object]) -> bytes:
    """Compact JSON bytes (what wrk sends and what the probes send)."""
    return json.dumps(payload, separators=(",", ":")).encode()

"""The benchmark's side of the gRPC modes: run the generator (``grpc_load.py``) pinned to
the driver core as wrk is, read its result as a :class:`~wrk.WrkResult`, and check one
call before timing (in a child process too: the bench itself never loads grpc, whose
state does not survive the generator's fork of its workers).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from grpc_load import RESULT_PREFIX, GrpcTarget, default_processes
from harness import DRIVER_CORE, BenchError, pinned
from wrk import WrkResult

GENERATOR = Path(__file__).resolve().with_name("grpc_load.py")
#: Status codes that count as wrk's "timeout" and "connect" errors; the others are
#: reported by name (the table shows e.g. ``RESOURCE_EXHAUSTED 3``).
TIMEOUT_CODES = frozenset({"DEADLINE_EXCEEDED"})
CONNECT_CODES = frozenset({"UNAVAILABLE"})


def parse_grpc_output(output: str) -> WrkResult:
    """The generator's ``GRPCLOAD`` line as a :class:`~wrk.WrkResult`.

    Non-OK statuses go to ``codes`` by name and are counted as wrk's classes:
    DEADLINE_EXCEEDED as a timeout, UNAVAILABLE as a connect error, any other as a non-2xx
    answer. Requests are as wrk counts them: answers in the window, OK or not (a timeout or
    a connect error is no answer); req/s is that over the duration.
    """
    line = next(
        (row[len(RESULT_PREFIX) :] for row in output.splitlines() if row.startswith(RESULT_PREFIX)),
        None,
    )
    if line is None:
        return WrkResult(ok=False, note="the gRPC generator printed no GRPCLOAD line")
    try:
        data = json.loads(line)
    except ValueError:
        return WrkResult(ok=False, note=f"unreadable GRPCLOAD line: {line[:200]}")
    if "error" in data and not data.get("ok") and not data.get("codes"):
        return WrkResult(ok=False, note=str(data["error"]))
    codes = {str(k): int(v) for k, v in dict(data.get("codes") or {}).items()}
    duration = float(data.get("duration_s") or 0.0)
    non2xx = sum(n for code, n in codes.items() if code not in TIMEOUT_CODES | CONNECT_CODES)
    requests = int(data.get("ok") or 0) + non2xx
    result = WrkResult(
        requests=requests,
        duration_s=duration,
        rps=requests / duration if duration > 0 else 0.0,
        p50_ms=float(data.get("p50_ms") or 0.0),
        p90_ms=float(data.get("p90_ms") or 0.0),
        p99_ms=float(data.get("p99_ms") or 0.0),
        max_ms=float(data.get("max_ms") or 0.0),
        timeouts=sum(n for code, n in codes.items() if code in TIMEOUT_CODES),
        connect_errors=sum(n for code, n in codes.items() if code in CONNECT_CODES),
        non2xx=non2xx,
        codes=codes,
        driver_cpu_pct=float(data.get("generator_cpu_pct") or 0.0),
    )
    if "error" in data:
        result.ok = False
        result.note = str(data["error"])
    return result


def run_grpc_load(
    target: GrpcTarget,
    *,
    in_flight: int,
    duration: float,
    processes: int | None = None,
    timeout_s: float = 10.0,
    log: Path | None = None,
) -> WrkResult:
    """The generator pinned to the driver core (as wrk is), and its parsed numbers."""
    workers = processes or default_processes(in_flight)
    argv = pinned(
        DRIVER_CORE,
        [
            sys.executable,
            str(GENERATOR),
            f"--in-flight={in_flight}",
            f"--duration={duration:g}",
            f"--processes={workers}",
            f"--timeout={timeout_s:g}",
        ],
    )
    try:
        done = subprocess.run(
            argv,
            input=target.to_json(),
            capture_output=True,
            text=True,
            timeout=duration + timeout_s + 60,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"the gRPC generator did not finish: {exc}") from exc
    output = done.stdout + done.stderr
    if log is not None:
        with open(log, "a") as handle:
            handle.write(f"$ {' '.join(argv)} < target ({target.method})\n{output}\n")
    result = parse_grpc_output(output)
    if done.returncode != 0 and result.ok:
        result.ok = False
        result.note = f"the gRPC generator exited {done.returncode}: {output.strip()[-300:]}"
    return result


def verify_in_subprocess(target: GrpcTarget, timeout_s: float = 30.0) -> str:
    """``grpc_load.verify`` in a child process: the completion text of one call, or a
    :class:`BenchError` with what answered instead."""
    argv = [sys.executable, str(GENERATOR), "--verify", f"--timeout={timeout_s:g}"]
    try:
        done = subprocess.run(
            argv,
            input=target.to_json(),
            capture_output=True,
            text=True,
            timeout=timeout_s + 30,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"gRPC verification did not finish: {exc}") from exc
    if done.returncode != 0:
        raise BenchError((done.stdout + done.stderr).strip()[-500:] or "gRPC verification failed")
    return done.stdout.strip()

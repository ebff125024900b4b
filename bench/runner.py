"""One system's turn in the benchmark: start it, verify it, warm it up, time every mode at
every concurrency, stop it; and, around that, what the process cost: time to ready, RSS
idle and at the peak, CPU during each run.

A mode's load comes from wrk (the HTTP modes) or from the gRPC generator (``grpc``,
``grpc-stream``: :mod:`grpc_mode`); both give a :class:`~wrk.WrkResult`, so the table and
the JSON treat them alike. The rest of the run (options, the table, the JSON) is
``run.py``'s.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

from console_viewer import ConsoleViewer
from grpc_load import GrpcTarget
from grpc_mode import run_grpc_load, verify_in_subprocess
from harness import DRIVER_CORE, BenchError
from procstat import RunMeter, idle_rss_mb
from report import Record
from system import GRPC_MODES, SURFACES, Context, System
from systems import SpiderGate
from wrk import Target, WrkResult, run_wrk


def log(message: str) -> None:
    print(message, flush=True)


@dataclass
class SystemStats:
    """What one system's process cost, beside its throughput."""

    key: str
    label: str
    #: Seconds from the server process's start to its first successful health answer.
    ready_s: float | None = None
    #: RSS of its processes once ready, before any request (MiB).
    idle_rss_mb: float | None = None
    #: Highest RSS seen during its warm-ups and timed runs (MiB).
    peak_rss_mb: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "system": self.label,
            "key": self.key,
            "ready_s": self.ready_s,
            "idle_rss_mb": self.idle_rss_mb,
            "peak_rss_mb": self.peak_rss_mb,
        }

    def note_peak(self, peak_mb: float | None) -> None:
        if peak_mb is not None:
            self.peak_rss_mb = max(self.peak_rss_mb or 0.0, peak_mb)


def mode_target(system: System, mode: str) -> Target | GrpcTarget | None:
    """What a system is sent in ``mode``; None when the system does not serve it."""
    if mode in SURFACES:
        return system.surface_target(mode)
    if mode in GRPC_MODES:
        return system.grpc_target(GRPC_MODES[mode])
    return system.target(mode == "stream")


def run_load(
    system: System,
    ctx: Context,
    args: argparse.Namespace,
    mode: str,
    concurrency: int,
    duration: float,
) -> WrkResult:
    """One run of ``mode`` at ``concurrency`` for ``duration`` s, by wrk or by the gRPC
    generator."""
    target = mode_target(system, mode)
    assert target is not None, f"{system.label} does not serve {mode}"
    logs = ctx.work_dir / "logs"
    if isinstance(target, GrpcTarget):
        return run_grpc_load(
            target,
            in_flight=concurrency,
            duration=duration,
            processes=args.grpc_processes,
            timeout_s=args.timeout,
            log=logs / f"grpc-{system.key}.log",
        )
    return run_wrk(
        target,
        connections=concurrency,
        duration=duration,
        script_dir=ctx.work_dir,
        timeout_s=args.timeout,
        log=logs / f"wrk-{system.key}.log",
    )


def metered(system: System, stats: SystemStats, run: Callable[[], WrkResult]) -> WrkResult:
    """``run()`` with the system's CPU and RSS measured meanwhile (none for the bare mock,
    which the benchmark does not start per system)."""
    if system.proc is None:
        return run()
    # The meter's thread runs on the driver core, off the core it measures.
    with RunMeter(system.proc.popen.pid, core=int(DRIVER_CORE)) as meter:
        result = run()
    result.system_cpu_pct = meter.cpu_pct
    result.peak_rss_mb = meter.peak_mb
    result.cores_busy_pct = meter.core_busy_pct()
    stats.note_peak(meter.peak_mb)
    return result


def start_and_verify(system: System, ctx: Context, modes: list[str], stats: SystemStats) -> None:
    """Start the system, note its time to ready and idle RSS, and check one answer per
    kind of mode; raise :class:`BenchError` if any is not a real completion."""
    started = time.monotonic()
    system.start(ctx)
    total = time.monotonic() - started
    stats.ready_s = None if system.ready_s is None else round(system.ready_s, 2)
    if system.proc is not None:
        stats.idle_rss_mb = idle_rss_mb(system.proc.popen.pid)
    if system.ready_s is not None:
        log(
            f"   ready {system.ready_s:.2f}s after its process started ({total:.1f}s with"
            f" set-up) at {system.base_url}; RSS idle {stats.idle_rss_mb} MiB"
        )
    else:
        log(f"   ready at {system.base_url}")
    sample = system.verify()
    log(f"   verified: 200 with a completion ({sample[:60]!r}), streaming too")
    for mode in modes:
        if mode in SURFACES and system.surface_target(mode) is not None:
            log(f"   verified: {system.verify_surface(mode)}")
        grpc = system.grpc_target(GRPC_MODES[mode]) if mode in GRPC_MODES else None
        if grpc is not None:
            text = verify_in_subprocess(grpc)
            log(f"   verified: {mode}: OK with a completion ({text[:60]!r})")


def bench_system(
    system: System,
    ctx: Context,
    args: argparse.Namespace,
    records: list[Record],
    skipped: dict[str, str],
    stats: SystemStats,
) -> None:
    """Start, verify, warm up and time one system; a failure to start is recorded, not raised."""
    try:
        start_and_verify(system, ctx, args.modes, stats)
    except BenchError as exc:
        reason = str(exc)
        skipped[system.label] = reason.splitlines()[0] if reason else "failed to start"
        log(f"   ERROR: {system.label} skipped: {reason}")
        system.stop(ctx)
        return
    try:
        modes = [m for m in args.modes if mode_target(system, m) is not None]
        if len(modes) < len(args.modes):
            others = ", ".join(m for m in args.modes if m not in modes)
            log(f"   not served by {system.label}, skipped: {others}")
        if args.warmup > 0:
            peak = max(args.concurrency)
            for mode in modes:
                log(f"   warm-up: {mode}, {peak} in flight, {args.warmup:g}s")
                metered(
                    system, stats, partial(run_load, system, ctx, args, mode, peak, args.warmup)
                )
        viewer = (
            ConsoleViewer(system.base_url, system.token, args.console_every)
            if args.console_every and isinstance(system, SpiderGate)
            else nullcontext()
        )
        with viewer:
            timed_runs(system, ctx, args, modes, records, stats)
        if isinstance(viewer, ConsoleViewer):
            log(f"   {viewer.summary()}")
    except BenchError as exc:
        skipped[system.label] = f"stopped mid-run: {str(exc).splitlines()[0]}"
        log(f"   ERROR: {system.label}: {exc}")
    finally:
        system.stop(ctx)


def timed_runs(
    system: System,
    ctx: Context,
    args: argparse.Namespace,
    modes: list[str],
    records: list[Record],
    stats: SystemStats,
) -> None:
    """Every mode at every concurrency, one run each."""
    for mode in modes:
        for concurrency in args.concurrency:
            run = partial(run_load, system, ctx, args, mode, concurrency, args.duration)
            result = metered(system, stats, run)
            records.append(Record(system.key, system.label, mode, concurrency, result))
            log(f"   {mode:11} c={concurrency:<3} {summary(result)}")
            if system.proc is not None and not system.proc.alive():
                raise BenchError(system.proc.describe_exit())


def summary(result: WrkResult) -> str:
    text = f"{result.rps:9.1f} req/s  p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms"
    if result.system_cpu_pct is not None:
        text += f"  CPU {result.system_cpu_pct:.0f}%"
    if result.peak_rss_mb is not None:
        text += f"  RSS {result.peak_rss_mb:.0f} MiB"
    if result.driver_cpu_pct is not None:
        text += f"  (load generator CPU {result.driver_cpu_pct:.0f}%"
        if result.cores_busy_pct:
            busy = ", ".join(f"{k} {v:.0f}%" for k, v in result.cores_busy_pct.items())
            text += f"; cores busy: {busy}"
        text += ")"
    if not result.ok:
        return f"{text}  FAILED: {result.note}"
    if result.errors:
        return f"{text}  ! {result.errors} errors ({result.error_breakdown()})"
    return text

"""SpiderGate benchmark: throughput and latency through the gateway, optionally side by side
with LiteLLM's proxy and Portkey's gateway, all in front of the same mock provider.

    .venv/bin/python bench/run.py                 # SpiderGate only, 10 s per run
    .venv/bin/python bench/run.py --compare       # + LiteLLM and Portkey (setup_competitors.sh)
    .venv/bin/python bench/run.py --smoke         # CI: 2 s, 16 in flight, json + stream
    .venv/bin/python bench/run.py --modes embeddings --concurrency 16   # POST /embeddings
    .venv/bin/python bench/run.py --modes json,responses,messages      # the translated surfaces

See bench/README.md for what is measured and the fairness rules.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from types import FrameType

from console_viewer import ConsoleViewer
from harness import DRIVER_CORE, GATEWAY_CORE, BenchError, ProcessRegistry
from report import Record, markdown_table, ratios, write_json
from system import SURFACES, Context, System
from systems import SYSTEMS, MockProvider, SpiderGate
from wrk import Target, WrkResult, run_wrk

MODES = ("json", "stream", *SURFACES)
# What runs unless --modes says otherwise: chat, which every system serves. The other
# surfaces (embeddings, the Responses and Anthropic Messages APIs) are SpiderGate's; a
# system without one skips the mode.
DEFAULT_MODES = ("json", "stream")


def csv_ints(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of integers: {text}") from exc
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("concurrency values must be positive integers")
    return values


def csv_choices(choices: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        values = [part.strip() for part in text.split(",") if part.strip()]
        bad = [v for v in values if v not in choices]
        if bad or not values:
            raise argparse.ArgumentTypeError(
                f"choose from {', '.join(choices)} (comma-separated); got {text!r}"
            )
        return values

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Benchmark SpiderGate (and, with --compare, LiteLLM and Portkey) with wrk "
        "against the same mock provider.",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run (10)")
    parser.add_argument(
        "--concurrency",
        type=csv_ints,
        default=[1, 16, 64],
        help="requests in flight, comma-separated (1,16,64)",
    )
    parser.add_argument(
        "--modes",
        type=csv_choices(MODES),
        default=list(DEFAULT_MODES),
        help=f"json (non-streaming), stream, {', '.join(SURFACES)} (default: json,stream)",
    )
    parser.add_argument(
        "--compare", action="store_true", help="also run LiteLLM's proxy and Portkey's gateway"
    )
    parser.add_argument(
        "--systems",
        type=csv_choices(tuple(SYSTEMS)),
        help="explicit list of systems: spidergate,litellm,portkey,mock (overrides --compare)",
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also time the mock provider directly (the ceiling of the harness)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="quick CI run: 2 s, 16 in flight, json+stream, SpiderGate only",
    )
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="warm-up seconds per system and mode (3)"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="wrk per-request timeout in seconds (10)"
    )
    parser.add_argument(
        "--startup-timeout",
        type=float,
        default=90.0,
        help="seconds to wait for each server to become ready (90)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    parser.add_argument(
        "--keep-dirs", action="store_true", help="keep the temp dir (data, configs, logs)"
    )
    parser.add_argument(
        "--console-every",
        type=float,
        metavar="S",
        help="while SpiderGate's timed runs last, load its web console's Overview and "
        "Traces pages every S seconds, signed in with the bench token (issue 12: the chat "
        "path's throughput with the console open)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="SpiderGate as 'serve --workers N', pinned to cores 0..N-1 (default 1: one "
        "process on core 0); on a 2-core machine its second worker shares core 1 with the "
        "mock and wrk",
    )
    parser.add_argument(
        "--mock-command",
        help="command that starts the mock provider (default: '<python> -m mock_provider'); "
        "'--host 127.0.0.1 --port N' is appended",
    )
    return parser


def selected_systems(args: argparse.Namespace) -> list[str]:
    if args.smoke:
        return ["spidergate"]
    if args.systems:
        keys = list(dict.fromkeys(args.systems))
    elif args.compare:
        keys = ["spidergate", "litellm", "portkey"]
    else:
        keys = ["spidergate"]
    if args.baseline and "mock" not in keys:
        keys.append("mock")
    return keys


def tool_version(argv: Sequence[str]) -> str:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return ((done.stdout or done.stderr).strip().splitlines() or [""])[0]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def load_average() -> float | None:
    """The 1-minute load average: other work on the machine skews every number."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def log(message: str) -> None:
    print(message, flush=True)


def successes(records: Sequence[Record], key: str) -> int:
    return sum(
        max(0, r.result.requests - r.result.non2xx) for r in records if r.key == key and r.result.ok
    )


def bench_system(
    system: System,
    ctx: Context,
    args: argparse.Namespace,
    records: list[Record],
    skipped: dict[str, str],
    loads: dict[str, float | None],
) -> None:
    """Start, verify, warm up and time one system; a failure to start is recorded, not raised."""
    load = load_average()
    loads[system.label] = load
    log(f"\n== {system.label}: starting (pinned to core {system.core}); load average {load}")
    try:
        started = time.monotonic()
        system.start(ctx)
        log(f"   ready in {time.monotonic() - started:.1f}s at {system.base_url}")
        sample = system.verify()
        log(f"   verified: 200 with a completion ({sample[:60]!r}), streaming too")
        for mode in args.modes:
            if mode in SURFACES and system.surface_target(mode) is not None:
                log(f"   verified: {system.verify_surface(mode)}")
    except BenchError as exc:
        reason = str(exc)
        skipped[system.label] = reason.splitlines()[0] if reason else "failed to start"
        log(f"   ERROR: {system.label} skipped: {reason}")
        system.stop(ctx)
        return
    wrk_log = ctx.work_dir / "logs" / f"wrk-{system.key}.log"
    try:
        modes = [m for m in args.modes if mode_target(system, m) is not None]
        if args.warmup > 0:
            peak = max(args.concurrency)
            for mode in modes:
                log(f"   warm-up: {mode}, {peak} in flight, {args.warmup:g}s")
                run_wrk(
                    target_of(system, mode),
                    connections=peak,
                    duration=args.warmup,
                    script_dir=ctx.work_dir,
                    timeout_s=args.timeout,
                    log=wrk_log,
                )
        viewer = (
            ConsoleViewer(system.base_url, system.token, args.console_every)
            if args.console_every and isinstance(system, SpiderGate)
            else nullcontext()
        )
        with viewer:
            timed_runs(system, ctx, args, modes, records, wrk_log)
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
    wrk_log: Path,
) -> None:
    """Every mode at every concurrency, one wrk run each."""
    for mode in modes:
        for concurrency in args.concurrency:
            result = run_wrk(
                target_of(system, mode),
                connections=concurrency,
                duration=args.duration,
                script_dir=ctx.work_dir,
                timeout_s=args.timeout,
                log=wrk_log,
            )
            records.append(Record(system.key, system.label, mode, concurrency, result))
            log(f"   {mode:6} c={concurrency:<3} {summary(result)}")
            if system.proc is not None and not system.proc.alive():
                raise BenchError(system.proc.describe_exit())


def mode_target(system: System, mode: str) -> Target | None:
    """What wrk sends a system in ``mode``; None when the system does not serve it."""
    if mode in SURFACES:
        return system.surface_target(mode)
    return system.target(mode == "stream")


def target_of(system: System, mode: str) -> Target:
    target = mode_target(system, mode)
    assert target is not None, f"{system.label} does not serve {mode}"
    return target


def summary(result: WrkResult) -> str:
    text = f"{result.rps:9.1f} req/s  p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms"
    if not result.ok:
        return f"{text}  FAILED: {result.note}"
    if result.errors:
        return f"{text}  ! {result.errors} errors ({result.error_breakdown()})"
    return text


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.smoke:
        args.duration = 2.0
        args.concurrency = [16]
        args.modes = list(DEFAULT_MODES)
        args.warmup = min(args.warmup, 1.0)
    if shutil.which("wrk") is None:
        log("ERROR: wrk is not installed (apt-get install wrk)")
        return 2
    keys = selected_systems(args)
    systems = [SpiderGate(args.workers) if key == "spidergate" else SYSTEMS[key]() for key in keys]

    work_dir = Path(tempfile.mkdtemp(prefix="spidergate-bench-"))
    (work_dir / "logs").mkdir()
    registry = ProcessRegistry(work_dir / "logs")
    records: list[Record] = []
    skipped: dict[str, str] = {}
    loads: dict[str, float | None] = {}
    interrupted = False
    fatal = ""

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Ctrl-C and SIGTERM both unwind through the ``finally`` below. SIGINT is set
    # explicitly: a shell starts background jobs with it ignored.
    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, on_sigterm),
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
    }
    log(
        f"SpiderGate bench: {', '.join(s.label for s in systems)}; modes {','.join(args.modes)};"
        f" in flight {','.join(map(str, args.concurrency))}; {args.duration:g}s per run"
    )
    log(f"work dir: {work_dir}")
    try:
        mock = MockProvider(args.mock_command)
        try:
            mock_url = mock.start(registry, args.startup_timeout)
        except BenchError as exc:
            fatal = f"mock provider failed to start: {exc}"
            log(f"ERROR: {fatal}")
            return 1
        log(f"mock provider at {mock_url} (pinned to core {DRIVER_CORE}, with wrk)")
        ctx = Context(registry, work_dir, mock_url, args.startup_timeout)
        for system in systems:
            if mock.proc is not None and not mock.proc.alive():
                fatal = f"mock provider died: {mock.proc.describe_exit()}"
                log(f"ERROR: {fatal}")
                break
            bench_system(system, ctx, args, records, skipped, loads)
    except KeyboardInterrupt:
        interrupted = True
        log("\ninterrupted: stopping everything")
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        for signum in previous:
            signal.signal(signum, signal.SIG_IGN)
        registry.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if not interrupted or records:
            report(args, systems, records, skipped, fatal, loads)
        if args.keep_dirs:
            log(f"\nkept work dir (data, configs, logs): {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)

    if interrupted:
        return 130
    if fatal:
        return 1
    if "spidergate" in keys:
        if "SpiderGate" in skipped and not any(r.key == "spidergate" for r in records):
            return 1
        if successes(records, "spidergate") == 0:
            log("ERROR: SpiderGate answered nothing but errors")
            return 1
    return 0


def report(
    args: argparse.Namespace,
    systems: Sequence[System],
    records: list[Record],
    skipped: dict[str, str],
    fatal: str,
    loads: dict[str, float | None],
) -> None:
    ratio_list = ratios(records)
    log("\n## Results\n")
    log(
        f"wrk -t1, {args.duration:g}s per run after a {args.warmup:g}s warm-up; gateway on core "
        f"{GATEWAY_CORE}, mock provider + wrk on core {DRIVER_CORE}.\n"
    )
    log(markdown_table(records) if records else "(no results)")
    if skipped:
        log("\nSkipped or incomplete:")
        for name, reason in skipped.items():
            log(f"- {name}: {reason}")
    if ratio_list:
        log("\nThroughput ratios (requests/s):")
        for ratio in ratio_list:
            log(ratio.line)
    if args.json:
        meta: dict[str, object] = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": args.concurrency,
            "modes": args.modes,
            "gateway_core": GATEWAY_CORE,
            "driver_core": DRIVER_CORE,
            "cpu": cpu_model(),
            "cpus": os.cpu_count(),
            "load_average_1m_at_start": loads,
            "load_average_1m_at_end": load_average(),
            "python": sys.version.split()[0],
            "wrk": tool_version(["wrk", "-v"]),
            "node": tool_version(["node", "--version"]),
            "versions": {s.label: s.version() for s in systems},
            "fatal": fatal,
        }
        write_json(args.json, meta=meta, records=records, skipped=skipped, ratio_list=ratio_list)
        log(f"\nJSON written to {args.json}")


if __name__ == "__main__":
    sys.exit(main())

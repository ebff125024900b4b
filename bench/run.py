"""SpiderGate benchmark: throughput and latency through the gateway, optionally side by side
with LiteLLM's proxy and Portkey's gateway, all in front of the same mock provider.

    .venv/bin/python bench/run.py                 # SpiderGate only, 10 s per run
    .venv/bin/python bench/run.py --compare       # + LiteLLM and Portkey (setup_competitors.sh)
    .venv/bin/python bench/run.py --smoke         # CI: 2 s, 16 in flight, json, stream, grpc
    .venv/bin/python bench/run.py --modes json,grpc,stream,grpc-stream --concurrency 16
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
from pathlib import Path
from types import FrameType

from harness import DRIVER_CORE, GATEWAY_CORE, BenchError, ProcessRegistry
from report import Record, markdown_table, ratios, same_system_ratios, systems_table, write_json
from runner import SystemStats, bench_system, log
from system import GRPC_MODES, SURFACES, Context, System
from systems import SYSTEMS, MockProvider, SpiderGate

MODES = ("json", "stream", *GRPC_MODES, *SURFACES)
# What runs unless --modes says otherwise: chat, which every system serves. The other
# modes (gRPC, embeddings, the Responses and Anthropic Messages APIs) are SpiderGate's; a
# system without one skips the mode.
DEFAULT_MODES = ("json", "stream")
# --smoke: chat over REST, and over gRPC (which drives the gRPC generator too).
SMOKE_MODES = ("json", "stream", "grpc")


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
        help=f"json (non-streaming), stream, {', '.join((*GRPC_MODES, *SURFACES))} "
        "(default: json,stream)",
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
        help="quick CI run: 2 s, 16 in flight, json+stream+grpc, SpiderGate only",
    )
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="warm-up seconds per system and mode (3)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="per-request timeout in seconds, wrk's and the gRPC generator's (10)",
    )
    parser.add_argument(
        "--grpc-processes",
        type=int,
        metavar="N",
        help="worker processes of the gRPC generator (default: one per 4 in flight, at most 4)",
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


def successes(records: Sequence[Record], key: str, mode: str | None = None) -> int:
    """Answers that were not errors, of one system (in one mode, or all)."""
    return sum(
        max(0, r.result.requests - r.result.non2xx)
        for r in records
        if r.key == key and r.result.ok and mode in (None, r.mode)
    )


def all_errors(records: Sequence[Record], key: str) -> list[str]:
    """The modes in which the system answered nothing but errors (or failed outright)."""
    modes = dict.fromkeys(r.mode for r in records if r.key == key)
    return [mode for mode in modes if successes(records, key, mode) == 0]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.smoke:
        args.duration = 2.0
        args.concurrency = [16]
        args.modes = list(SMOKE_MODES)
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
    stats: dict[str, SystemStats] = {}
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
        log(
            f"mock provider at {mock_url} (pinned to core {DRIVER_CORE}, with wrk and the "
            "gRPC generator)"
        )
        ctx = Context(registry, work_dir, mock_url, args.startup_timeout)
        for system in systems:
            if mock.proc is not None and not mock.proc.alive():
                fatal = f"mock provider died: {mock.proc.describe_exit()}"
                log(f"ERROR: {fatal}")
                break
            loads[system.label] = load = load_average()
            log(
                f"\n== {system.label}: starting (pinned to core {system.core}); load average {load}"
            )
            stats[system.label] = SystemStats(system.key, system.label)
            bench_system(system, ctx, args, records, skipped, stats[system.label])
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
            report(args, systems, records, skipped, fatal, loads, stats)
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
        broken = all_errors(records, "spidergate")
        if broken:
            log(f"ERROR: SpiderGate answered nothing but errors in: {', '.join(broken)}")
            return 1
    return 0


def report(
    args: argparse.Namespace,
    systems: Sequence[System],
    records: list[Record],
    skipped: dict[str, str],
    fatal: str,
    loads: dict[str, float | None],
    stats: dict[str, SystemStats],
) -> None:
    ratio_list = ratios(records)
    same_system = same_system_ratios(records)
    log("\n## Results\n")
    log(
        f"wrk -t1 (gRPC modes: bench/grpc_load.py), {args.duration:g}s per run after a "
        f"{args.warmup:g}s warm-up; gateway on core {GATEWAY_CORE}, mock provider + load "
        f"generator on core {DRIVER_CORE}; load average at start "
        f"{', '.join(f'{k} {v}' for k, v in loads.items())}, at end {load_average()}.\n"
    )
    log(markdown_table(records) if records else "(no results)")
    if stats:
        log("")
        log(systems_table(list(stats.values())))
    if skipped:
        log("\nSkipped or incomplete:")
        for name, reason in skipped.items():
            log(f"- {name}: {reason}")
    if ratio_list:
        log("\nThroughput ratios (requests/s):")
        for ratio in ratio_list:
            log(ratio.line)
    if same_system:
        log("\ngRPC API over REST, same gateway (requests/s):")
        for ratio in same_system:
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
            "grpc_processes": args.grpc_processes,
            "node": tool_version(["node", "--version"]),
            "versions": {s.label: s.version() for s in systems},
            "fatal": fatal,
        }
        write_json(
            args.json,
            meta=meta,
            records=records,
            skipped=skipped,
            ratio_list=[*ratio_list, *same_system],
            systems=[s.to_dict() for s in stats.values()],
        )
        log(f"\nJSON written to {args.json}")


if __name__ == "__main__":
    sys.exit(main())

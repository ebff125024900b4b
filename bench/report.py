"""Turning the runs' numbers (wrk's and the gRPC generator's) into the markdown tables,
the ratio lines and the JSON file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from harness import DRIVER_CORE, GATEWAY_CORE
from wrk import WrkResult

#: Each gRPC mode and the REST mode it is the same request as (the ratio gRPC / REST).
GRPC_OVER_REST = {"grpc": "json", "grpc-stream": "stream"}

MODE_NAMES = {
    "json": "non-streaming",
    "stream": "streaming",
    "grpc": "gRPC unary",
    "grpc-stream": "gRPC streaming",
    "embeddings": "embeddings",
    "responses": "Responses API",
    "responses-stream": "Responses API, streamed",
    "messages": "Anthropic Messages",
    "messages-stream": "Anthropic Messages, streamed",
}


@dataclass
class Record:
    """One timed wrk run of one system in one mode at one concurrency."""

    key: str
    system: str
    mode: str
    concurrency: int
    result: WrkResult

    def to_dict(self) -> dict[str, object]:
        return {
            "system": self.system,
            "key": self.key,
            "mode": self.mode,
            "concurrency": self.concurrency,
            **self.result.to_dict(),
        }


def error_cell(result: WrkResult) -> str:
    """``0`` when clean; otherwise a flagged count with its breakdown (never hidden)."""
    if not result.ok:
        return f"**FAILED**: {result.note}"
    if result.errors == 0:
        return "0"
    return f"**! {result.errors}** ({result.error_breakdown()})"


def cell(value: float | None, digits: int = 0) -> str:
    """A number for the table, ``-`` when it was not measured."""
    return "-" if value is None else f"{value:,.{digits}f}"


def cores_cell(busy: dict[str, float]) -> str:
    """``gateway core / driver core`` busy %, e.g. ``100/64``; ``-`` when not measured."""
    if not busy:
        return "-"
    return "/".join(cell(busy.get(core)) for core in (str(GATEWAY_CORE), str(DRIVER_CORE)))


def markdown_table(records: Sequence[Record]) -> str:
    """One row per run. CPU % is the system's share of its core during the run (~100:
    saturated); RSS its processes' peak during the run; gen CPU % the load generator's
    (wrk's or the gRPC generator's) share of the driver core, which it shares with the
    mock provider: near 100 the generator, not the system, set the pace. Cores busy %
    is each core's non-idle share, whoever used it (gateway core / driver core)."""
    lines = [
        "| system | mode | in flight | req/s | p50 ms | p99 ms | errors | CPU % "
        "| RSS peak MiB | gen CPU % | cores busy % |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for rec in records:
        res = rec.result
        lines.append(
            f"| {rec.system} | {rec.mode} | {rec.concurrency} | {res.rps:,.1f} | "
            f"{res.p50_ms:.2f} | {res.p99_ms:.2f} | {error_cell(res)} | "
            f"{cell(res.system_cpu_pct)} | {cell(res.peak_rss_mb)} | "
            f"{cell(res.driver_cpu_pct)} | {cores_cell(res.cores_busy_pct)} |"
        )
    return "\n".join(lines)


class SystemRow(Protocol):
    label: str
    ready_s: float | None
    idle_rss_mb: float | None
    peak_rss_mb: float | None


def systems_table(rows: Sequence[SystemRow]) -> str:
    """One row per system: time to ready (process start to first health answer), RSS once
    ready and before any request, RSS at the peak of its warm-ups and runs."""
    lines = [
        "| system | ready s | RSS idle MiB | RSS peak MiB |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row.label} | {cell(row.ready_s, 2)} | {cell(row.idle_rss_mb)} | "
            f"{cell(row.peak_rss_mb)} |"
        )
    return "\n".join(lines)


@dataclass
class Ratio:
    ours: str
    theirs: str
    mode: str
    concurrency: int
    ratio: float | None
    clean: bool
    line: str

    def to_dict(self) -> dict[str, object]:
        return {
            "ours": self.ours,
            "theirs": self.theirs,
            "mode": self.mode,
            "concurrency": self.concurrency,
            "throughput_ratio": self.ratio,
            "both_error_free": self.clean,
        }


def ratios(records: Sequence[Record], ours_key: str = "spidergate") -> list[Ratio]:
    """Our requests/s over each other system's, per (mode, concurrency) both measured."""
    index = {(r.key, r.mode, r.concurrency): r for r in records}
    out: list[Ratio] = []
    others: list[tuple[str, str]] = []
    for rec in records:
        if rec.key not in (ours_key, "mock") and (rec.key, rec.system) not in others:
            others.append((rec.key, rec.system))
    for rec in records:
        if rec.key != ours_key:
            continue
        for other_key, other_name in others:
            theirs = index.get((other_key, rec.mode, rec.concurrency))
            if theirs is None:
                continue
            mine, their = rec.result, theirs.result
            clean = mine.ok and their.ok and mine.errors == 0 and their.errors == 0
            value = mine.rps / their.rps if their.rps > 0 else None
            shown = f"{value:.2f}x" if value is not None else "n/a (no throughput)"
            line = (
                f"{rec.system} / {other_name} at {rec.concurrency} in flight, "
                f"{MODE_NAMES.get(rec.mode, rec.mode)}: {shown}"
                f" (p50 {mine.p50_ms:.2f} vs {their.p50_ms:.2f} ms,"
                f" p99 {mine.p99_ms:.2f} vs {their.p99_ms:.2f} ms)"
            )
            if not clean:
                line += (
                    f"  [! errors: {rec.system} {mine.errors}, {other_name} {their.errors}"
                    " - not a like-for-like comparison]"
                )
            out.append(Ratio(rec.system, other_name, rec.mode, rec.concurrency, value, clean, line))
    return out


def same_system_ratios(records: Sequence[Record]) -> list[Ratio]:
    """Each gRPC run's requests/s over the same system's REST run of the same request at
    the same concurrency (``grpc`` / ``json``, ``grpc-stream`` / ``stream``)."""
    index = {(r.key, r.mode, r.concurrency): r for r in records}
    out: list[Ratio] = []
    for rec in records:
        rest = GRPC_OVER_REST.get(rec.mode)
        other = index.get((rec.key, rest, rec.concurrency)) if rest else None
        if other is None:
            continue
        mine, theirs = rec.result, other.result
        clean = mine.ok and theirs.ok and mine.errors == 0 and theirs.errors == 0
        value = mine.rps / theirs.rps if theirs.rps > 0 else None
        shown = f"{value:.2f}x" if value is not None else "n/a (no throughput)"
        line = (
            f"{rec.system} gRPC / REST at {rec.concurrency} in flight, "
            f"{MODE_NAMES[rest or '']}: {shown}"
            f" (p50 {mine.p50_ms:.2f} vs {theirs.p50_ms:.2f} ms,"
            f" p99 {mine.p99_ms:.2f} vs {theirs.p99_ms:.2f} ms)"
        )
        if mine.rps_per_cpu and theirs.rps_per_cpu:
            line += (
                f"; per CPU-second {mine.rps_per_cpu / theirs.rps_per_cpu:.2f}x"
                f" ({mine.rps_per_cpu:,.0f} vs {theirs.rps_per_cpu:,.0f})"
            )
        if not clean:
            line += f"  [! errors: gRPC {mine.errors}, REST {theirs.errors}]"
        out.append(
            Ratio(
                f"{rec.system} {rec.mode}",
                f"{other.system} {other.mode}",
                rec.mode,
                rec.concurrency,
                value,
                clean,
                line,
            )
        )
    return out


def write_json(
    path: Path,
    *,
    meta: dict[str, object],
    records: Sequence[Record],
    skipped: dict[str, str],
    ratio_list: Sequence[Ratio],
    systems: Sequence[dict[str, object]] = (),
) -> None:
    document = {
        "meta": meta,
        "results": [r.to_dict() for r in records],
        "systems": list(systems),
        "skipped": skipped,
        "ratios": [r.to_dict() for r in ratio_list],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")

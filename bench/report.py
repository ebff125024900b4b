"""Turning wrk numbers into the markdown table, the ratio lines and the JSON file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wrk import WrkResult

MODE_NAMES = {
    "json": "non-streaming",
    "stream": "streaming",
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


def markdown_table(records: Sequence[Record]) -> str:
    lines = [
        "| system | mode | in flight | req/s | p50 ms | p99 ms | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for rec in records:
        res = rec.result
        lines.append(
            f"| {rec.system} | {rec.mode} | {rec.concurrency} | {res.rps:,.1f} | "
            f"{res.p50_ms:.2f} | {res.p99_ms:.2f} | {error_cell(res)} |"
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


def write_json(
    path: Path,
    *,
    meta: dict[str, object],
    records: Sequence[Record],
    skipped: dict[str, str],
    ratio_list: Sequence[Ratio],
) -> None:
    document = {
        "meta": meta,
        "results": [r.to_dict() for r in records],
        "skipped": skipped,
        "ratios": [r.to_dict() for r in ratio_list],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")

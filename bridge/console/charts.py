"""Charts of the console, drawn on the server as SVG: bars per time bucket, no chart
library and nothing the CSP would refuse (geometry in attributes, colours from classes).

A usage report lists only the buckets that had requests; a chart shows every bucket of
the window, the empty ones at zero, so the time axis is even.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

WIDTH = 600
HEIGHT = 140
PAD_TOP = 10
PAD_BOTTOM = 20


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True, slots=True)
class Chart:
    """One metric over the window's buckets: the bars and the axis labels."""

    name: str
    title: str
    bars: tuple[Bar, ...]
    peak: str
    first: str
    last: str
    width: int = WIDTH
    height: int = HEIGHT


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def bucket_starts(start: str, end: str, bucket: str) -> list[datetime]:
    """Every bucket start from the one holding ``start`` to the one holding ``end``."""
    step = timedelta(hours=1) if bucket == "hour" else timedelta(days=1)
    first = _parse(start)
    first = first.replace(minute=0, second=0, microsecond=0)
    if bucket != "hour":
        first = first.replace(hour=0)
    last = _parse(end)
    out: list[datetime] = []
    t = first
    while t < last and len(out) < 1000:
        out.append(t)
        t += step
    return out


def _label(t: datetime, bucket: str) -> str:
    return t.strftime("%d %b %H:00" if bucket == "hour" else "%d %b")


def bar_chart(
    usage: dict[str, Any],
    name: str,
    title: str,
    value: Callable[[dict[str, Any]], float | None],
    fmt: Callable[[float], str],
) -> Chart:
    """``value`` of each bucket of ``usage['by_bucket']`` (``GET /usage`` JSON) as bars
    scaled to the largest; a bucket without requests, or without the value, is zero."""
    bucket = usage["bucket"]
    by_start = {_parse(b["start"]): b for b in usage["by_bucket"]}
    starts = bucket_starts(usage["from"], usage["to"], bucket)
    values = []
    for t in starts:
        b = by_start.get(t)
        v = value(b) if b is not None else None
        values.append(float(v or 0.0))
    peak = max(values, default=0.0)
    plot = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = WIDTH / max(len(starts), 1)
    bars = []
    for i, (t, v) in enumerate(zip(starts, values, strict=True)):
        h = plot * v / peak if peak > 0 else 0.0
        bars.append(
            Bar(
                x=round(i * slot + slot * 0.1, 2),
                y=round(PAD_TOP + plot - h, 2),
                width=round(slot * 0.8, 2),
                height=round(h, 2),
                title=f"{_label(t, bucket)}: {fmt(v)}",
            )
        )
    return Chart(
        name=name,
        title=title,
        bars=tuple(bars),
        peak=fmt(peak),
        first=_label(starts[0], bucket) if starts else "",
        last=_label(starts[-1], bucket) if starts else "",
    )

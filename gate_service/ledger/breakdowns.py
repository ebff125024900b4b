"""Summing a usage report's rows into its total and its breakdowns, with numpy.

Why: a month's report reads ~16,000 rollup rows (a week by the hour, ~25,000), each with a
small latency histogram (~11 buckets for a day rollup, ~3 for an hourly one). Merged one
dictionary at a time into fine groups, then into the buckets and the breakdowns, that was
~90,000 Python merges and 0.2-0.3 s of CPU per report: most of a report's time at a million
ledger rows. Here Python touches each row's values a few times in list comprehensions (to
number the values of each breakdown); every histogram of the report is parsed by one
``numpy.fromstring``, and each breakdown (the report buckets, each dimension, the total) is one
``numpy.bincount`` over all the (latency bucket, count) pairs, keyed by (value, bucket).
Summing in the database instead was tried: concatenating the histograms there
(``string_agg``) cost PostgreSQL more than this costs Python.

The numbers are the ones :mod:`.histogram` defines, on either backend: counts are integers
(summed in float64, exact below 2**53), and a percentile reads the same ranks from the same
buckets as :func:`.histogram.percentiles` (:func:`percentiles`). A value whose request count
is not positive (a cut hour's rollup minus rows outside the window) is left out.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from gate_service.ledger import histogram
from gate_service.ledger.views import UsageMetrics

_COST_DIGITS = 9

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def numbered(values: Sequence[Hashable]) -> tuple[Ints, list[Any]]:
    """Each value's number (in order of first appearance) and the distinct values."""
    distinct = list(dict.fromkeys(values))
    number = {v: i for i, v in enumerate(distinct)}
    return np.fromiter(map(number.__getitem__, values), np.int64, len(values)), distinct


class Rows:
    """A report's rows, column by column: eight integer sums, the cost, and the latencies
    (a rollup's histogram as its ``index,count,...`` text, or a raw row's latency if it
    succeeded), each row counted with a sign (-1: a raw row taken away from its cut
    hour's rollup)."""

    def __init__(
        self,
        ints: Sequence[Sequence[int]],
        cost: Sequence[float],
        pairs: Sequence[str | None],
        latencies: Sequence[float | None],
        sign: Sequence[int],
    ) -> None:
        signs = np.asarray(sign, dtype=np.float64)
        self._sums = [np.fromiter(c, np.float64, len(c)) * signs for c in ints]
        self._cost = np.fromiter(cost, np.float64, len(cost)) * signs
        idx, count, row = _pairs(pairs, latencies, signs)
        self._offset = int(idx.min()) if idx.size else 0
        self._width = int(idx.max()) - self._offset + 1 if idx.size else 1
        self._idx, self._count, self._row = idx - self._offset, count, row

    def by(self, codes: Ints, values: Sequence[Any]) -> dict[Any, UsageMetrics]:
        """The metrics of each value (row ``i`` is counted in ``values[codes[i]]``) with a
        positive request count."""
        n = len(values)
        sums = [np.bincount(codes, column, minlength=n) for column in self._sums]
        cost = np.bincount(codes, self._cost, minlength=n)
        hists = np.bincount(
            codes[self._row] * self._width + self._idx, self._count, minlength=n * self._width
        ).reshape(n, self._width)
        out: dict[Any, UsageMetrics] = {}
        for j, value in enumerate(values):
            requests, errors, prompt, completion, cached, reasoning, hits, falls = (
                int(np.rint(s[j])) for s in sums
            )
            if requests <= 0:
                continue
            p50, p95, p99 = percentiles(hists[j], self._offset) or (None, None, None)
            out[value] = UsageMetrics(
                requests=requests,
                errors=errors,
                prompt_tokens=prompt,
                completion_tokens=completion,
                cached_tokens=cached,
                reasoning_tokens=reasoning,
                cache_hits=hits,
                fallbacks=falls,
                cost_usd=round(float(cost[j]), _COST_DIGITS),
                latency_p50_ms=p50,
                latency_p95_ms=p95,
                latency_p99_ms=p99,
            )
        return out


def _pairs(
    pairs: Sequence[str | None], latencies: Sequence[float | None], sign: Floats
) -> tuple[Ints, Floats, Ints]:
    """(latency bucket, signed count, row) of every histogram pair: the rollups' pairs,
    decoded in one call, and one pair per raw success."""
    bodies: list[str] = []
    lengths: list[int] = []
    for text in pairs:
        if text:
            bodies.append(text)
            lengths.append(text.count(",") // 2 + 1)
        else:
            lengths.append(0)
    # Parsed in C straight into an array (3-4x quicker than a list of ints converted).
    text = ",".join(bodies)
    flat = np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, np.int64)
    per_row = np.asarray(lengths, dtype=np.int64)
    idx = flat[0::2]
    count = flat[1::2] * np.repeat(sign, per_row)
    row = np.repeat(np.arange(len(lengths), dtype=np.int64), per_row)
    raw = [(i, histogram.bucket(ms)) for i, ms in enumerate(latencies) if ms is not None]
    if raw:
        at = np.asarray([i for i, _ in raw], dtype=np.int64)
        idx = np.concatenate([idx, np.asarray([b for _, b in raw], dtype=np.int64)])
        count = np.concatenate([count, sign[at]])
        row = np.concatenate([row, at])
    return idx, count.astype(np.float64), row


def percentiles(
    counts: npt.NDArray[Any], offset: int, quantiles: Sequence[float] = histogram.QUANTILES
) -> tuple[float, ...] | None:
    """:func:`.histogram.percentiles` of a dense histogram (``counts[i]`` is bucket
    ``offset + i``): the same ranks, read from the same buckets, the same numbers."""
    positive = np.where(counts > 0, np.rint(counts), 0).astype(np.int64)
    cumulative = np.cumsum(positive)
    n = int(cumulative[-1]) if cumulative.size else 0
    if n == 0:
        return None
    out = []
    for q in quantiles:
        pos = q * (n - 1)
        lo, hi = math.floor(pos), math.ceil(pos)
        at_lo, at_hi = (
            histogram.value(int(np.searchsorted(cumulative, rank, side="right")) + offset)
            for rank in (lo, hi)
        )
        out.append(round(at_lo + (at_hi - at_lo) * (pos - lo), 3))
    return tuple(out)

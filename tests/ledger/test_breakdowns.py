"""The bulk sums of a usage report (gate_service/ledger/breakdowns.py) report the numbers
the dictionary histograms define: the same percentiles, and sums that leave out the values
without a request."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gate_service.ledger import breakdowns, histogram

_LATENCIES = st.lists(
    st.floats(min_value=0.0, max_value=600_000.0, allow_nan=False), min_size=0, max_size=300
)


@settings(max_examples=200, deadline=None)
@given(_LATENCIES)
def test_dense_percentiles_are_the_dictionary_ones(latencies: list[float]) -> None:
    hist = histogram.of(latencies)
    if not hist:
        assert breakdowns.percentiles(np.zeros(3), -5) is None
        return
    lo, hi = min(hist), max(hist)
    dense = np.zeros(hi - lo + 3)  # a spare empty bucket at each end
    for index, count in hist.items():
        dense[index - lo + 1] = count
    assert breakdowns.percentiles(dense, lo - 1) == histogram.percentiles(hist)


def test_negative_counts_count_as_empty() -> None:
    hist = {3: 5, 4: -2, 6: 1}
    dense = np.array([5.0, -2.0, 0.0, 1.0])
    assert breakdowns.percentiles(dense, 3) == histogram.percentiles(hist)


def test_rows_sum_by_value_with_signs_and_histograms() -> None:
    # Two rollup rows of model "a" (histograms as stored, without brackets), one of "b",
    # a raw success of "b" taken away (sign -1), and a rollup of "c" (one error) with that
    # error taken away as a raw row: "c" has no request left.
    a1, a2, b1 = histogram.of([100, 200]), histogram.of([150]), histogram.of([80, 90, 95])
    body = [histogram.encode(h)[1:-1] for h in (a1, a2, b1)]
    rows = breakdowns.Rows(
        ints=[
            (2, 1, 3, 1, 1, 1),
            (0, 0, 0, 0, 1, 1),
            (10, 5, 30, 4, 0, 0),
            (0,) * 6,
            (0,) * 6,
            (0,) * 6,
            (1, 0, 2, 1, 0, 0),  # cache hits
            (0, 1, 1, 0, 0, 0),  # fallbacks
        ],
        cost=(0.5, 0.25, 1.0, 0.125, 0.0, 0.0),
        pairs=(*body, None, "", None),
        latencies=(None, None, None, 95.0, None, None),
        sign=(1, 1, 1, -1, 1, -1),
    )
    codes, values = breakdowns.numbered(["a", "a", "b", "b", "c", "c"])
    assert values == ["a", "b", "c"]
    found = rows.by(codes, values)
    assert set(found) == {"a", "b"}  # "c": 1 - 1 = 0 requests
    merged_a: histogram.Histogram = {}
    histogram.add(merged_a, a1)
    histogram.add(merged_a, a2)
    assert found["a"].requests == 3 and found["a"].prompt_tokens == 15
    assert found["a"].cost_usd == 0.75
    assert (found["a"].cache_hits, found["a"].fallbacks) == (1, 1)
    assert (found["b"].cache_hits, found["b"].fallbacks) == (1, 1)  # 2 - 1 hits, 1 - 0
    p50, p95, _ = histogram.percentiles(merged_a) or (None, None, None)
    assert (found["a"].latency_p50_ms, found["a"].latency_p95_ms) == (p50, p95)
    b = dict(b1)
    histogram.add(b, histogram.of([95.0]), -1)
    assert found["b"].requests == 2 and found["b"].cost_usd == 0.875
    assert found["b"].latency_p99_ms == (histogram.percentiles(b) or ())[2]

"""The Usage page's CSV: its rows are the page's breakdowns in the page's order, and a
name a spreadsheet would run as a formula is neutralised (an agent names its token)."""

from __future__ import annotations

import csv
import io
from typing import Any

from bridge.console.pages_data import CSV_COLUMNS, usage_csv


def _metrics(requests: int, errors: int = 0) -> dict[str, Any]:
    return {
        "requests": requests,
        "errors": errors,
        "error_rate": errors / requests,
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "cached_tokens": 0,
        "cost_usd": 0.5,
        "latency_ms": {"p50": 3.0, "p95": None, "p99": None},
    }


def test_rows_follow_the_page_and_formulas_are_neutralised() -> None:
    usage = {
        "by_model": [{"model": "b", **_metrics(1)}, {"model": "a", **_metrics(4, 1)}],
        "by_provider": [{"provider": None, **_metrics(1, 1)}],
        "by_alias": [],
        "by_agent": [
            {"agent": '=HYPERLINK("http://x")', **_metrics(2)},
            {"agent": "-1", **_metrics(1)},
            {"agent": "@sum", **_metrics(1)},
        ],
        "by_kind": [{"kind": "chat", **_metrics(5)}],
    }
    rows = list(csv.reader(io.StringIO(usage_csv(usage))))
    assert tuple(rows[0]) == CSV_COLUMNS
    keys = [(r[0], r[1], r[2]) for r in rows[1:]]
    assert keys == [
        ("model", "a", "4"),  # busiest first, as the page
        ("model", "b", "1"),
        ("provider", "–", "1"),
        ("agent", '\'=HYPERLINK("http://x")', "2"),
        ("agent", "-1", "1"),  # a number stays a number
        ("agent", "'@sum", "1"),
        ("kind", "chat", "5"),
    ]
    assert rows[1][9:] == ["3.0", ""]  # a null p95 is an empty cell

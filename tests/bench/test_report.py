"""The table, the per-system table, the gRPC/REST ratios and the JSON document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from report import Record, markdown_table, same_system_ratios, systems_table, write_json
from runner import SystemStats
from wrk import WrkResult


def run(rps: float, **kw: Any) -> WrkResult:
    return WrkResult(requests=int(rps * 2), duration_s=2.0, rps=rps, p50_ms=5, p99_ms=9, **kw)


RECORDS = [
    Record(
        "spidergate",
        "SpiderGate",
        "json",
        16,
        run(
            1000,
            system_cpu_pct=99.5,
            peak_rss_mb=180.2,
            driver_cpu_pct=4.0,
            cores_busy_pct={"0": 100.0, "1": 41.3},
        ),
    ),
    Record(
        "spidergate",
        "SpiderGate",
        "grpc",
        16,
        run(1400, system_cpu_pct=100.0, peak_rss_mb=181.0, driver_cpu_pct=31.0),
    ),
    Record("spidergate", "SpiderGate", "stream", 64, run(600)),
    Record(
        "spidergate", "SpiderGate", "grpc-stream", 64, run(300, codes={"INTERNAL": 2}, non2xx=2)
    ),
    Record("portkey", "Portkey", "json", 16, run(500)),
]


def test_the_table_has_cpu_memory_and_the_generators_cpu() -> None:
    table = markdown_table(RECORDS).splitlines()
    assert table[0].endswith("| errors | CPU % | RSS peak MiB | gen CPU % | cores busy % |")
    assert table[2].endswith("| 0 | 100 | 180 | 4 | 100/41 |")
    assert table[3] == (
        "| SpiderGate | grpc | 16 | 1,400.0 | 5.00 | 9.00 | 0 | 100 | 181 | 31 | - |"
    )
    # Not measured: a dash, never a zero.
    assert table[4].endswith("| 0 | - | - | - | - |")
    assert "**! 2** (INTERNAL 2)" in table[5]


def test_the_systems_table() -> None:
    stats = [
        SystemStats("spidergate", "SpiderGate", ready_s=1.23, idle_rss_mb=112.4, peak_rss_mb=160.0),
        SystemStats("mock", "mock (direct)"),
    ]
    assert systems_table(stats).splitlines()[2:] == [
        "| SpiderGate | 1.23 | 112 | 160 |",
        "| mock (direct) | - | - | - |",
    ]


def test_grpc_over_rest_for_the_same_request_and_concurrency() -> None:
    ratios = same_system_ratios(RECORDS)
    assert [(r.mode, r.concurrency, r.ratio, r.clean) for r in ratios] == [
        ("grpc", 16, 1.4, True),
        ("grpc-stream", 64, 0.5, False),
    ]
    assert ratios[0].line.startswith("SpiderGate gRPC / REST at 16 in flight, non-streaming: 1.40x")
    assert "[! errors: gRPC 2, REST 0]" in ratios[1].line


def test_the_json_holds_the_new_numbers(tmp_path: Path) -> None:
    stats = SystemStats(
        "spidergate", "SpiderGate", ready_s=1.5, idle_rss_mb=110.0, peak_rss_mb=150.0
    )
    path = tmp_path / "bench.json"
    write_json(
        path,
        meta={"duration_s": 2},
        records=RECORDS[:2],
        skipped={},
        ratio_list=same_system_ratios(RECORDS),
        systems=[stats.to_dict()],
    )
    document = json.loads(path.read_text())
    grpc = document["results"][1]
    assert grpc["mode"] == "grpc"
    assert (grpc["system_cpu_pct"], grpc["peak_rss_mb"], grpc["driver_cpu_pct"]) == (
        100.0,
        181.0,
        31.0,
    )
    assert grpc["codes"] == {} and grpc["errors"] == 0
    assert document["systems"] == [
        {
            "system": "SpiderGate",
            "key": "spidergate",
            "ready_s": 1.5,
            "idle_rss_mb": 110.0,
            "peak_rss_mb": 150.0,
        }
    ]
    assert document["ratios"][0]["throughput_ratio"] == 1.4

"""The gRPC generator's arithmetic and its result line, read as the table reads wrk's."""

from __future__ import annotations

import json

from grpc_load import (
    CHAT_METHOD,
    RESULT_PREFIX,
    GrpcTarget,
    default_processes,
    percentile,
    split,
)
from grpc_mode import parse_grpc_output


def line(**fields: object) -> str:
    data: dict[str, object] = {
        "requests": 0,
        "ok": 0,
        "duration_s": 2.0,
        "p50_ms": 0.0,
        "p90_ms": 0.0,
        "p99_ms": 0.0,
        "max_ms": 0.0,
        "codes": {},
        "generator_cpu_pct": 12.5,
    }
    data.update(fields)
    return f"some log\n{RESULT_PREFIX}{json.dumps(data)}\n"


def test_a_clean_run_reads_like_a_wrk_run() -> None:
    result = parse_grpc_output(line(ok=1800, requests=1800, p50_ms=8.5, p99_ms=21.25))
    assert result.ok and result.errors == 0
    assert result.requests == 1800
    assert result.rps == 900.0
    assert (result.p50_ms, result.p99_ms) == (8.5, 21.25)
    assert result.driver_cpu_pct == 12.5
    assert result.error_breakdown() == ""


def test_status_codes_are_counted_in_wrks_classes_and_shown_by_name() -> None:
    codes = {
        "RESOURCE_EXHAUSTED": 3,
        "UNAUTHENTICATED": 1,
        "DEADLINE_EXCEEDED": 2,
        "UNAVAILABLE": 5,
    }
    result = parse_grpc_output(line(ok=100, requests=111, codes=codes))
    assert result.non2xx == 4
    assert result.timeouts == 2
    assert result.connect_errors == 5
    assert result.errors == 11
    # Like wrk: an answer with an error status is a request; no answer (timeout, no
    # connection) is not.
    assert result.requests == 104
    assert result.codes == codes
    assert result.error_breakdown() == (
        "DEADLINE_EXCEEDED 2, RESOURCE_EXHAUSTED 3, UNAUTHENTICATED 1, UNAVAILABLE 5"
    )


def test_a_generator_that_failed_is_a_failed_run() -> None:
    missing = parse_grpc_output("Traceback (most recent call last):\n  boom\n")
    assert not missing.ok and "GRPCLOAD" in missing.note
    failed = parse_grpc_output(line(error="worker 12 did not connect within 30 s"))
    assert not failed.ok and failed.note == "worker 12 did not connect within 30 s"
    # A worker lost mid-run: the others' numbers are kept, but the run is not clean.
    partial = parse_grpc_output(line(ok=50, requests=50, error="worker 13 sent no result"))
    assert not partial.ok and partial.requests == 50
    garbled = parse_grpc_output(f"{RESULT_PREFIX}{{not json\n")
    assert not garbled.ok


def test_in_flight_is_split_evenly_over_the_workers() -> None:
    assert split(16, 4) == [4, 4, 4, 4]
    assert split(10, 4) == [3, 3, 2, 2]
    assert split(1, 4) == [1]  # never an idle worker
    assert sum(split(64, 3)) == 64
    assert [default_processes(n) for n in (1, 4, 5, 16, 64)] == [1, 1, 2, 4, 4]


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


def test_the_target_travels_as_json_without_loss() -> None:
    target = GrpcTarget(
        "127.0.0.1:50051", CHAT_METHOD, b"\x00\x01binary\xff", (("authorization", "Bearer t"),)
    )
    assert GrpcTarget.from_json(target.to_json()) == target

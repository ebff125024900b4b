"""Usage converters: domain ⇄ proto round trips, REST query parsing, JSON shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gate_service.errors import GateError
from gate_service.ledger.json_shapes import record_to_json, usage_to_json
from gate_service.ledger.record import Attempt, RequestRecord
from gate_service.ledger.views import (
    LedgerScope,
    TimeWindow,
    TracePage,
    TraceQuery,
    UsageBucket,
    UsageGroup,
    UsageMetrics,
    UsageReport,
)
from gate_service.proto_convert.usage import (
    page_from_proto,
    page_to_proto,
    parse_time,
    record_from_proto,
    record_to_proto,
    trace_query_from_proto,
    traces_request_from_query,
    usage_from_proto,
    usage_query_from_proto,
    usage_request_from_query,
    usage_to_proto,
)
from spidergate.v1 import usage_pb2 as pb

T = datetime(2026, 11, 25, 10, 30, 15, 123000, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
SCOPE = LedgerScope("cli_x", "tok_1")
FULL = UsageMetrics(10, 2, 100, 50, 5, 3, 0.125, 10.5, 90.25, 99.0)
EMPTY = UsageMetrics(requests=1, errors=1)


def report() -> UsageReport:
    return UsageReport(
        window=TimeWindow(T - timedelta(days=30), T),
        bucket="hour",
        totals=FULL,
        by_model=(UsageGroup("gpt-4o", FULL), UsageGroup(None, EMPTY)),
        by_provider=(UsageGroup("openai", FULL),),
        by_alias=(UsageGroup(None, FULL),),
        by_agent=(UsageGroup("agent-a", FULL),),
        by_kind=(UsageGroup("chat", FULL), UsageGroup("embedding", EMPTY)),
        by_bucket=(UsageBucket(T.replace(minute=0, second=0, microsecond=0), FULL),),
    )


def trace(**kw: object) -> RequestRecord:
    values: dict[str, object] = {
        "id": "req-1",
        "created_at": T,
        "client_id": "cli_x",
        "token_id": None,
        "agent_name": None,
        "requested_model": "spideriq/fast",
        "alias": "spideriq/fast",
        "kind": "chat",
        "served_model": None,
        "provider": None,
        # Kept in the ledger, never shown: it does not travel, so it round-trips as None.
        "key_id": None,
        "key_preview": None,
        "status": 502,
        "error_code": "all_providers_failed",
        "latency_ms": 12.5,
        "ttft_ms": None,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cached_tokens": 0,
        "reasoning_tokens": 0,
        "cost_usd": 0.0,
        "streamed": True,
        "cache_hit": False,
        "fallback_chain": ("groq:llama", "together:llama"),
        "attempts": (
            Attempt("groq", "llama", "k…1", "error", 503, 10.0, "server", "boom"),
            Attempt("together", "llama", "", "skipped", 0, 0.0, "cooldown"),
        ),
    }
    values.update(kw)
    return RequestRecord(**values)  # type: ignore[arg-type]


def test_usage_round_trip() -> None:
    original = report()
    assert usage_from_proto(usage_to_proto(original)) == original


def test_trace_round_trip() -> None:
    for t in (
        trace(),
        trace(token_id="tok", agent_name="a", served_model="m", provider="p", ttft_ms=1.5),
        trace(kind="transcription"),
    ):
        assert record_from_proto(record_to_proto(t)) == t
    page = TracePage((trace(), trace(id="req-2", attempts=())), has_more=True)
    assert page_from_proto(page_to_proto(page)) == page


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-25T10:30:15.123Z", T),
        ("2026-11-25T11:30:15.123+01:00", T),
        ("2026-11-25T10:30:15.123", T),
        ("2026-11-25", datetime(2026, 11, 25, tzinfo=UTC)),
        (str(T.timestamp()), T),
        ("1764000000", datetime.fromtimestamp(1764000000, UTC)),
    ],
)
def test_times_parse(text: str, expected: datetime) -> None:
    parsed = parse_time(text, "from")
    assert parsed == expected and parsed.tzinfo is not None
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01", "-1", "1e30", "99999999999999"])
def test_bad_times_name_the_parameter(text: str) -> None:
    with pytest.raises(GateError) as info:
        parse_time(text, "to")
    assert info.value.param == "to"


def test_usage_query_defaults_and_values() -> None:
    query = usage_query_from_proto(usage_request_from_query({}), SCOPE, NOW)
    assert (query.bucket, query.window.end, query.window.start) == (
        "day",
        NOW,
        NOW - timedelta(days=30),
    )
    query = usage_query_from_proto(
        usage_request_from_query({"from": "2026-11-01", "bucket": "hour"}), SCOPE, NOW
    )
    assert (query.bucket, query.window.start, query.scope) == (
        "hour",
        datetime(2026, 11, 1, tzinfo=UTC),
        SCOPE,
    )
    assert query.kind is None
    query = usage_query_from_proto(usage_request_from_query({"kind": "image"}), SCOPE, NOW)
    assert query.kind == "image"


@pytest.mark.parametrize("kind", ["", "chats", "Chat", "embeddings", "x" * 100])
def test_an_unknown_kind_is_refused_naming_the_parameter(kind: str) -> None:
    """Over REST (the bridge's parser) and off the wire (what the core reads)."""
    for parse in (usage_request_from_query, traces_request_from_query):
        with pytest.raises(GateError) as info:
            parse({"kind": kind})
        assert (info.value.code, info.value.param) == ("invalid_request", "kind")
    with pytest.raises(GateError) as info:
        trace_query_from_proto(pb.ListTracesRequest(kind=kind or "?"), SCOPE, NOW)
    assert info.value.param == "kind"
    with pytest.raises(GateError) as info:
        usage_query_from_proto(pb.GetUsageRequest(kind=kind or "?"), SCOPE, NOW)
    assert info.value.param == "kind"


def test_trace_query_from_rest() -> None:
    def query(**params: str) -> TraceQuery:
        return trace_query_from_proto(traces_request_from_query(params), SCOPE, NOW)

    q = query()
    assert (q.limit, q.offset, q.status, q.status_class, q.agent, q.model) == (
        50,
        0,
        None,
        None,
        None,
        None,
    )
    q = query(limit="500", offset="20", status="error", agent="a", model="gpt-4o")
    assert (q.limit, q.offset, q.status_class, q.agent, q.model) == (
        500,
        20,
        "error",
        "a",
        "gpt-4o",
    )
    assert query(status="429").status == 429
    assert query(kind="embedding").kind == "embedding"
    for params, param in [
        ({"limit": "0"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"limit": "99999999999"}, "limit"),
        ({"offset": "-3"}, "offset"),
        ({"status": "600"}, "status"),
        ({"status": "ok"}, "status"),
    ]:
        with pytest.raises(GateError) as info:
            query(**params)
        assert info.value.param == param


def test_json_shapes() -> None:
    body = usage_to_json(report())
    assert body["object"] == "usage" and body["bucket"] == "hour"
    assert body["to"] == "2026-11-25T10:30:15.123Z"
    assert body["totals"]["total_tokens"] == 150 and body["totals"]["error_rate"] == 0.2
    assert body["totals"]["latency_ms"] == {"p50": 10.5, "p95": 90.25, "p99": 99.0}
    assert body["by_model"][1]["model"] is None
    assert body["by_model"][1]["latency_ms"]["p50"] is None
    assert body["by_bucket"][0]["start"] == "2026-11-25T10:00:00.000Z"
    assert [(g["kind"], g["requests"]) for g in body["by_kind"]] == [("chat", 10), ("embedding", 1)]
    listed = record_to_json(trace(), attempts=False)
    assert "attempts" not in listed and listed["created"] == int(T.timestamp())
    assert listed["kind"] == "chat"
    assert record_to_json(trace(kind="speech"), attempts=False)["kind"] == "speech"
    one = record_to_json(trace(), attempts=True)
    assert [a["outcome"] for a in one["attempts"]] == ["error", "skipped"]
    assert one["usage"]["total_tokens"] == 0 and one["fallback_chain"] == list(
        trace().fallback_chain
    )

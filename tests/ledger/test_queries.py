"""Usage reports and traces over hand-written rows, on SQLite and PostgreSQL: totals,
breakdowns, percentiles, buckets, filters, and tenancy (nobody reads another's rows).

Percentiles come from the rollups' latency histograms since the rollups exist: they are
compared with the exact values (what ``percentile_cont`` gives over the raw rows) within
the histogram's stated 1 %, and with each other across backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from gate_service.errors import GateError
from gate_service.ledger import RequestRecord, histogram
from gate_service.ledger.queries import get_trace, list_traces, usage
from gate_service.ledger.store import LedgerStore
from gate_service.ledger.views import LedgerScope, TimeWindow, TraceQuery, UsageQuery
from gate_service.routing.outcome import Attempt
from gate_service.storage.database import Database

Make = Callable[..., RequestRecord]
ACME, OTHER = "cli_acmeacmeacmeacme", "cli_otherotherother1"
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
WINDOW = TimeWindow(T0 - timedelta(days=1), T0 + timedelta(days=3))
BRAND = LedgerScope(ACME)
AGENT_1 = LedgerScope(ACME, "tok_1")


@pytest.fixture
def rows(db: Database, make_entry: Make) -> Database:
    """acme: 100 successes by agent-1 on groq (latency 1..100 ms) spread over two days,
    3 errors by agent-2, 2 brand-credential requests on openai; other: 1 request."""
    entries = []
    for i in range(100):
        entries.append(
            make_entry(
                client_id=ACME,
                latency_ms=float(i + 1),
                created_at=T0 + timedelta(hours=i % 2, days=i // 50),
                prompt_tokens=10,
                completion_tokens=2,
                cached_tokens=1,
                reasoning_tokens=1,
                cost_usd=0.01,
            )
        )
    for i in range(3):
        entries.append(
            make_entry(
                client_id=ACME,
                token_id="tok_2",
                agent_name="agent-2",
                served_model=None,
                provider=None,
                key_id=None,
                key_preview=None,
                status=429 if i else 502,
                error_code="rate_limit_exceeded" if i else "all_providers_failed",
                latency_ms=0.5,
                prompt_tokens=0,
                completion_tokens=0,
                cost_usd=0.0,
                created_at=T0 + timedelta(minutes=5 + i),
                attempts=(),
            )
        )
    for i in range(2):
        entries.append(
            make_entry(
                client_id=ACME,
                token_id=None,
                agent_name=None,
                requested_model="gpt-4o",
                alias=None,
                served_model="gpt-4o",
                provider="openai",
                latency_ms=1000.0 * (i + 1),
                cost_usd=0.5,
                created_at=T0 + timedelta(minutes=30),
            )
        )
    entries.append(make_entry(client_id=OTHER, id="other-brand-request", created_at=T0))
    assert LedgerStore(db).write(entries).written == len(entries)
    return db


def exact(value: float | None) -> object:
    """The exact percentile, as the histogram may report it: within 1 %."""
    return pytest.approx(value, rel=histogram.ALPHA)


def test_percentiles_are_within_one_percent_of_percentile_cont() -> None:
    p50, p95, p99 = histogram.percentiles(histogram.of(range(1, 101))) or ()
    assert (p50, p95, p99) == (exact(50.5), exact(95.05), exact(99.01))
    assert histogram.percentiles(histogram.of([7.0])) == (exact(7.0),) * 3
    assert histogram.percentiles({}) is None


def test_brand_usage_totals_and_breakdowns(rows: Database) -> None:
    report = usage(rows, UsageQuery(BRAND, WINDOW, "day"))
    t = report.totals
    assert (t.requests, t.errors, t.error_rate) == (105, 3, round(3 / 105, 6))
    assert (t.prompt_tokens, t.completion_tokens, t.cached_tokens) == (1_020, 210, 100)
    assert t.cost_usd == pytest.approx(2.0)
    # Percentiles of the 102 successes: 1..100 ms plus 1000 and 2000 ms.
    assert t.latency_p50_ms == exact(51.5)
    by_model = {g.key: g.metrics for g in report.by_model}
    assert list(by_model) == ["llama-3.1-8b-instant", None, "gpt-4o"]  # largest first
    assert by_model["llama-3.1-8b-instant"].requests == 100
    assert by_model["llama-3.1-8b-instant"].latency_p95_ms == exact(95.05)
    assert by_model[None].errors == 3 and by_model[None].latency_p50_ms is None
    assert by_model["gpt-4o"].latency_p50_ms == exact(1500.0)
    assert {g.key: g.metrics.requests for g in report.by_provider} == {
        "groq": 100,
        None: 3,
        "openai": 2,
    }
    assert {g.key: g.metrics.requests for g in report.by_alias} == {"spideriq/fast": 103, None: 2}
    assert {g.key: g.metrics.requests for g in report.by_agent} == {
        "agent-1": 100,
        "agent-2": 3,
        None: 2,
    }
    days = [(b.start, b.metrics.requests) for b in report.by_bucket]
    assert days == [
        (datetime(2026, 11, 20, tzinfo=UTC), 55),
        (datetime(2026, 11, 21, tzinfo=UTC), 50),
    ]


def test_hourly_buckets(rows: Database) -> None:
    report = usage(rows, UsageQuery(BRAND, WINDOW, "hour"))
    hours = {b.start: b.metrics.requests for b in report.by_bucket}
    assert hours == {
        T0: 25 + 3 + 2,
        T0 + timedelta(hours=1): 25,
        T0 + timedelta(days=1): 25,
        T0 + timedelta(days=1, hours=1): 25,
    }
    first = report.by_bucket[0].metrics
    # Successes at 10:00 on day one: the odd latencies 1,3,...,49 and 1000, 2000 ms.
    assert first.latency_p50_ms == exact(27.0) and first.errors == 3


def test_a_token_sees_only_its_own_requests(rows: Database) -> None:
    report = usage(rows, UsageQuery(AGENT_1, WINDOW))
    assert report.totals.requests == 100
    assert [g.key for g in report.by_agent] == ["agent-1"]
    assert usage(rows, UsageQuery(LedgerScope(ACME, "tok_2"), WINDOW)).totals.errors == 3


def test_another_brand_sees_none_of_it(rows: Database) -> None:
    report = usage(rows, UsageQuery(LedgerScope(OTHER), WINDOW))
    assert report.totals.requests == 1
    nobody = usage(rows, UsageQuery(LedgerScope("cli_nobodynobodynob"), WINDOW))
    assert nobody.totals.requests == 0 and nobody.totals.latency_p50_ms is None
    assert nobody.by_model == () and nobody.by_bucket == ()


def test_the_window_bounds_the_rows(rows: Database) -> None:
    day_one = TimeWindow(T0, T0 + timedelta(hours=23))
    assert usage(rows, UsageQuery(BRAND, day_one)).totals.requests == 55
    assert usage(rows, UsageQuery(BRAND, TimeWindow(T0, T0))).totals.requests == 25


def test_window_defaults_and_order() -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    w = TimeWindow.build(None, None, now)
    assert (w.start, w.end) == (now - timedelta(days=30), now)
    with pytest.raises(GateError) as info:
        TimeWindow.build(now, now - timedelta(seconds=1), now)
    assert info.value.param == "from"


def test_traces_newest_first_with_paging(rows: Database) -> None:
    first = list_traces(rows, TraceQuery(BRAND, WINDOW, limit=10))
    assert len(first.traces) == 10 and first.has_more
    stamps = [t.created_at for t in first.traces]
    assert stamps == sorted(stamps, reverse=True)
    rest = list_traces(rows, TraceQuery(BRAND, WINDOW, limit=500, offset=10))
    assert len(rest.traces) == 95 and not rest.has_more
    seen = {t.id for t in first.traces} | {t.id for t in rest.traces}
    assert len(seen) == 105 and "other-brand-request" not in seen


def test_trace_filters(rows: Database) -> None:
    def ids(**kw: object) -> int:
        return len(list_traces(rows, TraceQuery(BRAND, WINDOW, limit=500, **kw)).traces)  # type: ignore[arg-type]

    assert ids(agent="agent-2") == 3
    assert ids(model="gpt-4o") == 2
    assert ids(model="spideriq/fast") == 103  # the alias asked for
    assert ids(model="llama-3.1-8b-instant") == 100  # the model that served
    assert ids(status_class="error") == 3
    assert ids(status_class="success") == 102
    assert ids(status=429) == 2
    assert ids(status_class="success", status=429) == 0
    assert ids(agent="agent-1", status_class="error") == 0
    # A token's filters only narrow its own rows.
    assert len(list_traces(rows, TraceQuery(AGENT_1, WINDOW, agent="agent-2")).traces) == 0


def test_trace_query_ranges() -> None:
    for kw, param in [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"status": 99}, "status"),
    ]:
        with pytest.raises(GateError) as info:
            TraceQuery(BRAND, WINDOW, **kw)  # type: ignore[arg-type]
        assert (info.value.code, info.value.param) == ("invalid_request", param)


def test_one_trace_with_attempts(db: Database, make_entry: Make) -> None:
    attempts = [
        Attempt(
            "groq", "llama-3.1-8b-instant", "gsk_…abc", "error", 503, 12.5, "server_error", "boom"
        ),
        Attempt("cerebras", "llama3.1-8b", "", "skipped", 0, 0.0, "cooldown"),
        Attempt("together", "llama-3.1-8b", "tg_…xyz", "success", 200, 40.0),
    ]
    e = make_entry(
        client_id=ACME,
        id="trace-1",
        attempts=tuple(attempts),
        fallback_chain=tuple(f"{a.provider}:{a.model}" for a in attempts),
        streamed=True,
        ttft_ms=33.3,
        created_at=T0,
    )
    LedgerStore(db).write([e])
    trace = get_trace(db, BRAND, "trace-1")
    assert trace is not None
    assert [a.outcome for a in trace.attempts] == ["error", "skipped", "success"]
    assert trace.attempts[0].error_message == "boom" and trace.attempts[0].latency_ms == 12.5
    assert trace.fallback_chain == tuple(e.fallback_chain)
    assert (trace.streamed, trace.ttft_ms, trace.created_at) == (True, 33.3, T0)
    assert get_trace(db, AGENT_1, "trace-1") is not None
    # Another brand, another agent of the brand, an unknown id: all the same None.
    assert get_trace(db, LedgerScope(OTHER), "trace-1") is None
    assert get_trace(db, LedgerScope(ACME, "tok_2"), "trace-1") is None
    assert get_trace(db, BRAND, "no-such-trace") is None


def test_a_long_client_request_id_still_finds_its_trace(db: Database, make_entry: Make) -> None:
    """The bridge accepts X-Request-Id up to 128 characters; the column keeps 64."""
    long_id = "x" * 100
    LedgerStore(db).write([make_entry(client_id=ACME, id=long_id, created_at=T0)])
    trace = get_trace(db, BRAND, long_id)
    assert trace is not None and trace.id == long_id[:64] and len(trace.attempts) == 1


def test_usage_and_traces_by_kind(db: Database, make_entry: Make) -> None:
    """Each kind is a group of its own, largest first (ties by name); a kind filter narrows
    usage and traces alike; a trace reads back with its kind. Another brand's kinds count
    nowhere."""
    embed = {"served_model": "text-embedding-3-small", "provider": "openai", "kind": "embedding"}
    at = {"client_id": ACME, "created_at": T0}
    entries = [
        *(make_entry(**at, cost_usd=0.01, prompt_tokens=10) for _ in range(3)),
        *(make_entry(**at, **embed, cost_usd=0.002, prompt_tokens=50) for _ in range(2)),
        make_entry(**at, **embed, status=503, error_code="upstream_error", cost_usd=0.0),
        make_entry(**at, kind="speech", id="speech-1", cost_usd=0.015, prompt_tokens=0),
        make_entry(client_id=OTHER, created_at=T0, kind="image", cost_usd=0.04),
    ]
    assert LedgerStore(db).write(entries).written == len(entries)
    report = usage(db, UsageQuery(BRAND, WINDOW))
    kinds = {g.key: g.metrics for g in report.by_kind}
    assert [g.key for g in report.by_kind] == ["chat", "embedding", "speech"]  # 3, 3, 1
    assert (kinds["embedding"].requests, kinds["embedding"].errors) == (3, 1)
    assert kinds["embedding"].prompt_tokens == 100 + 10  # the failed one's default 10
    assert kinds["embedding"].cost_usd == pytest.approx(0.004)
    assert (kinds["chat"].requests, kinds["chat"].cost_usd) == (3, pytest.approx(0.03))
    assert (kinds["speech"].requests, kinds["speech"].cost_usd) == (1, pytest.approx(0.015))
    assert report.totals.requests == 7
    only = usage(db, UsageQuery(BRAND, WINDOW, kind="embedding"))
    assert only.totals == kinds["embedding"]
    assert [g.key for g in only.by_model] == ["text-embedding-3-small"]
    assert usage(db, UsageQuery(BRAND, WINDOW, kind="image")).totals.requests == 0
    page = list_traces(db, TraceQuery(BRAND, WINDOW, kind="embedding"))
    assert len(page.traces) == 3 and {t.kind for t in page.traces} == {"embedding"}
    errors = list_traces(db, TraceQuery(BRAND, WINDOW, kind="embedding", status_class="error"))
    assert [t.status for t in errors.traces] == [503]
    speech = get_trace(db, BRAND, "speech-1")
    assert speech is not None and speech.kind == "speech"
    with pytest.raises(GateError) as info:
        UsageQuery(BRAND, WINDOW, kind="video")  # type: ignore[arg-type]
    assert info.value.param == "kind"
    with pytest.raises(GateError) as info:
        TraceQuery(BRAND, WINDOW, kind="chats")  # type: ignore[arg-type]
    assert info.value.param == "kind"

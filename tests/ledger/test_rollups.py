"""Usage reports from hourly rollups are the raw rows' numbers: windows cutting hours at
either edge (read from either side of the cut), whole hours, one hour, by hour and by day,
by request kind and for one kind, on SQLite and PostgreSQL; filtered trace lists, which
read only the hours the rollups say hold a match, are the raw rows' too; and the
migration's back-fill computes the rollups the writer keeps."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from gate_service.ledger import RequestRecord, histogram, queries
from gate_service.ledger.queries import list_traces, usage
from gate_service.ledger.record import RequestKind
from gate_service.ledger.rollups import ROLLUPS, backfill
from gate_service.ledger.store import REQUESTS, LedgerStore
from gate_service.ledger.views import (
    LedgerScope,
    TimeWindow,
    TraceQuery,
    UsageMetrics,
    UsageQuery,
)
from gate_service.storage.database import Database

Make = Callable[..., RequestRecord]
CLIENT = "cli_rolluprolluproll"
T0 = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)  # the hours run across midnight


@pytest.fixture
def ledger(db: Database, make_entry: Make) -> tuple[Database, list[RequestRecord]]:
    """600 requests over five hours, two tokens, two models, one in seven an error, of three
    kinds; written in several batches so the rollups add up across transactions."""
    rng = random.Random(8)
    entries = []
    for i in range(600):
        failed = i % 7 == 0
        entries.append(
            make_entry(
                client_id=CLIENT,
                token_id=f"tok_{i % 2}",
                agent_name=f"agent-{i % 2}",
                kind="embedding" if i % 5 == 0 else "image" if i % 11 == 0 else "chat",
                served_model=None if failed else ("m-a" if i % 3 else "m-b"),
                status=502 if failed else 200,
                latency_ms=rng.lognormvariate(3, 1),
                prompt_tokens=rng.randrange(100),
                completion_tokens=rng.randrange(50),
                cost_usd=rng.random() / 1000,
                created_at=T0 + timedelta(seconds=rng.uniform(0, 5 * 3600)),
            )
        )
    for minute in (7, 185):  # two requests for a model nobody serves, hours apart
        entries.append(
            make_entry(
                client_id=CLIENT,
                requested_model="no-such-model",
                alias=None,
                served_model=None,
                provider=None,
                status=404,
                created_at=T0 + timedelta(minutes=minute),
            )
        )
    store = LedgerStore(db)
    assert store.write(entries[600:]).written == 2
    for start in range(0, 600, 150):
        assert store.write(entries[start : start + 150]).written == 150
    return db, entries


def expected(entries: list[RequestRecord], start: datetime, end: datetime) -> UsageMetrics:
    inside = [e for e in entries if start <= e.created_at <= end]
    ok = [e.latency_ms for e in inside if e.status < 400]
    p50, p95, p99 = histogram.percentiles(histogram.of(ok)) or (None, None, None)
    return UsageMetrics(
        requests=len(inside),
        errors=len(inside) - len(ok),
        prompt_tokens=sum(e.prompt_tokens for e in inside),
        completion_tokens=sum(e.completion_tokens for e in inside),
        cached_tokens=0,
        reasoning_tokens=0,
        cost_usd=round(sum(e.cost_usd for e in inside), 9),
        latency_p50_ms=p50,
        latency_p95_ms=p95,
        latency_p99_ms=p99,
    )


def same(got: UsageMetrics, want: UsageMetrics) -> None:
    assert got.cost_usd == pytest.approx(want.cost_usd, abs=1e-9)
    for name in ("requests", "errors", "prompt_tokens", "completion_tokens"):
        assert getattr(got, name) == getattr(want, name), name
    # The same histogram buckets either way: identical percentiles, not merely close.
    for name in ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms"):
        assert getattr(got, name) == getattr(want, name), name


WINDOWS = [
    (T0, T0 + timedelta(hours=5)),  # whole hours
    (T0 + timedelta(minutes=17), T0 + timedelta(hours=3, minutes=41)),  # both edges cut
    (T0 + timedelta(hours=1, minutes=5), T0 + timedelta(hours=1, minutes=55)),  # one hour
    (T0 + timedelta(minutes=59, seconds=59), T0 + timedelta(hours=2)),  # a hair of an hour
    (T0 - timedelta(days=30), T0 + timedelta(hours=2, minutes=30)),  # a long window
    (T0 + timedelta(hours=4, minutes=1), T0 + timedelta(days=1)),  # ends after the rows
]


@pytest.mark.parametrize("side", ["inside", "rollup-minus-outside", "smaller"])
def test_reports_equal_the_raw_rows(
    ledger: tuple[Database, list[RequestRecord]], side: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each hour a window cuts is read from its rows inside the window, or as its rollup
    minus its rows outside: either way (forced, then as the query chooses) the report is
    the raw rows'."""
    if side != "smaller":
        monkeypatch.setattr(queries, "_from_inside", lambda *_: side == "inside")
    db, entries = ledger
    for start, end in WINDOWS:
        for bucket in ("hour", "day"):
            report = usage(db, UsageQuery(LedgerScope(CLIENT), TimeWindow(start, end), bucket))
            same(report.totals, expected(entries, start, end))
            step = timedelta(hours=1) if bucket == "hour" else timedelta(days=1)
            for b in report.by_bucket:
                lo, hi = max(start, b.start), min(end, b.start + step - timedelta(microseconds=1))
                same(b.metrics, expected(entries, lo, hi))
            models = {g.key: g.metrics.requests for g in report.by_model}
            inside = [e for e in entries if start <= e.created_at <= end]
            assert models == {
                m: n
                for m in ("m-a", "m-b", None)
                if (n := sum(e.served_model == m for e in inside))
            }
            kinds = {g.key: g.metrics for g in report.by_kind}
            assert set(kinds) == {e.kind for e in inside}
            for kind, metrics in kinds.items():
                same(metrics, expected([e for e in entries if e.kind == kind], start, end))


@pytest.mark.parametrize("kind", ["chat", "embedding", "image", "speech"])
def test_a_report_of_one_kind_is_its_raw_rows(
    ledger: tuple[Database, list[RequestRecord]], kind: RequestKind
) -> None:
    """A kind filter narrows the rollups and the edge rows alike (every breakdown too)."""
    db, entries = ledger
    mine = [e for e in entries if e.kind == kind]
    for start, end in WINDOWS:
        window = TimeWindow(start, end)
        report = usage(db, UsageQuery(LedgerScope(CLIENT), window, "hour", kind))
        same(report.totals, expected(mine, start, end))
        inside = [e for e in mine if start <= e.created_at <= end]
        assert [g.key for g in report.by_kind] == ([kind] if inside else [])
        assert sum(b.metrics.requests for b in report.by_bucket) == len(inside)
        assert sum(g.metrics.requests for g in report.by_agent) == len(inside)


def test_a_token_sees_its_own_rollups(ledger: tuple[Database, list[RequestRecord]]) -> None:
    db, entries = ledger
    start, end = T0 + timedelta(minutes=30), T0 + timedelta(hours=4, minutes=30)
    mine = [e for e in entries if e.token_id == "tok_1"]
    report = usage(db, UsageQuery(LedgerScope(CLIENT, "tok_1"), TimeWindow(start, end)))
    same(report.totals, expected(mine, start, end))
    assert [g.key for g in report.by_agent] == ["agent-1"]


def test_the_backfill_computes_what_the_writer_kept(
    ledger: tuple[Database, list[RequestRecord]],
) -> None:
    db, _ = ledger

    def rollups() -> list[dict[str, object]]:
        with db.engine.connect() as conn:
            rows = conn.execute(select(ROLLUPS).order_by(ROLLUPS.c.id)).mappings().all()
        return [
            {**r, "cost_usd": round(r["cost_usd"], 12), "latency": histogram.decode(r["latency"])}
            for r in rows
        ]

    kept = rollups()
    assert sum(int(r["requests"]) for r in kept) == 602  # type: ignore[call-overload]
    with db.engine.begin() as conn:
        conn.execute(delete(ROLLUPS))
        assert backfill(conn, REQUESTS) == 602
    assert rollups() == kept


FILTERS: list[dict[str, Any]] = [
    {},
    {"agent": "agent-1"},
    {"model": "m-b"},
    {"model": "no-such-model"},  # only ever requested: two rows, hours apart
    {"model": "spideriq/fast", "status_class": "error"},
    {"status_class": "success"},
    {"status": 502},
    {"status": 404, "agent": "agent-1"},
    {"status": 200, "model": "m-a", "agent": "agent-0"},
    {"agent": "nobody"},
    {"kind": "embedding"},
    {"kind": "image", "status_class": "error"},
    {"kind": "chat", "model": "m-b", "agent": "agent-1"},
    {"kind": "speech"},  # no request of this kind
]


@pytest.mark.parametrize("filters", FILTERS, ids=[str(f) for f in FILTERS])
def test_filtered_traces_are_the_raw_rows(
    ledger: tuple[Database, list[RequestRecord]], filters: dict[str, Any]
) -> None:
    db, entries = ledger
    start, end = T0 + timedelta(minutes=5), T0 + timedelta(hours=4, minutes=50)

    def matches(e: RequestRecord) -> bool:
        m, status = filters.get("model"), filters.get("status")
        return (
            start <= e.created_at <= end
            and filters.get("agent") in (None, e.agent_name)
            and (m is None or m in (e.requested_model, e.served_model, e.alias))
            and (status is None or e.status == status)
            and filters.get("status_class") in (None, "error" if e.status >= 400 else "success")
            and filters.get("kind") in (None, e.kind)
        )

    want = [
        e.id
        for e in sorted(filter(matches, entries), key=lambda e: (e.created_at, e.id), reverse=True)
    ]
    for offset, limit in ((0, 7), (5, 40), (len(want) - 3, 10), (len(want), 5)):
        offset = max(offset, 0)
        query = TraceQuery(
            LedgerScope(CLIENT), TimeWindow(start, end), limit=limit, offset=offset, **filters
        )
        page = list_traces(db, query)
        assert [t.id for t in page.traces] == want[offset : offset + limit]
        assert page.has_more == (len(want) > offset + limit)


def test_a_cut_hour_is_read_from_its_smaller_side() -> None:
    cap, minute = queries._EDGE_COUNT_CAP, timedelta(minutes=1)
    assert not queries._from_inside(0, 10, 50 * minute)  # nothing outside: rollup minus it
    assert queries._from_inside(10, 3, 50 * minute)
    assert not queries._from_inside(cap, cap, 40 * minute)  # both large: the shorter time
    assert queries._from_inside(cap, cap, 20 * minute)

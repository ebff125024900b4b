"""Day rollups: daily reports read a window's whole days from ``usage_rollup_day`` and only
its other hours from the hourly rollups (and its cut hours from raw rows). The reports
stay the raw rows' numbers, whichever side each cut hour is read from; the day rollups the
writer keeps are the hourly ones summed per day, and the migration's back-fill computes
exactly them. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from gate_service.ledger import RequestRecord, histogram, queries
from gate_service.ledger.analytics import stats
from gate_service.ledger.queries import usage
from gate_service.ledger.rollups import DAY_ROLLUPS, backfill_days
from gate_service.ledger.store import LedgerStore
from gate_service.ledger.views import LedgerScope, TimeWindow, UsageQuery
from gate_service.storage.database import Database
from tests.ledger.test_rollups import expected, same

Make = Callable[..., RequestRecord]
CLIENT = "cli_dayrollupdayroll"
T0 = datetime(2026, 11, 17, 21, 0, tzinfo=UTC)  # three days and a bit, across midnights


@pytest.fixture
def ledger(db: Database, make_entry: Make) -> tuple[Database, list[RequestRecord]]:
    """500 requests over 76 hours, two tokens, two models, some errors, two kinds; written
    in batches so the day rollups add up across transactions."""
    rng = random.Random(11)
    entries = []
    for i in range(500):
        failed = i % 9 == 0
        entries.append(
            make_entry(
                client_id=CLIENT,
                token_id=f"tok_{i % 2}",
                agent_name=f"agent-{i % 2}",
                kind="embedding" if i % 5 == 0 else "chat",
                served_model=None if failed else ("m-a" if i % 3 else "m-b"),
                status=502 if failed else 200,
                latency_ms=rng.lognormvariate(3, 1),
                prompt_tokens=rng.randrange(100),
                completion_tokens=rng.randrange(50),
                cost_usd=rng.random() / 1000,
                created_at=T0 + timedelta(seconds=rng.uniform(0, 76 * 3600)),
            )
        )
    store = LedgerStore(db)
    for start in range(0, 500, 125):
        assert store.write(entries[start : start + 125]).written == 125
    return db, entries


WINDOWS = [
    (T0, T0 + timedelta(hours=76)),  # whole hours, two whole days
    (T0 + timedelta(hours=3), T0 + timedelta(hours=51) - timedelta(microseconds=1)),  # days
    (T0 + timedelta(hours=2, minutes=13), T0 + timedelta(hours=60, minutes=7)),  # cut edges
    (T0 + timedelta(hours=3, minutes=1), T0 + timedelta(hours=27, minutes=59)),  # no whole day
    (T0 - timedelta(days=30), T0 + timedelta(days=30)),  # everything
]


@pytest.mark.parametrize("side", ["inside", "rollup-minus-outside", "smaller"])
def test_daily_reports_over_day_rollups_equal_the_raw_rows(
    ledger: tuple[Database, list[RequestRecord]], side: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if side != "smaller":
        monkeypatch.setattr(queries, "_from_inside", lambda *_: side == "inside")
    db, entries = ledger
    for start, end in WINDOWS:
        for scope, mine in (
            (LedgerScope(CLIENT), entries),
            (LedgerScope(CLIENT, "tok_1"), [e for e in entries if e.token_id == "tok_1"]),
        ):
            for kind in (None, "embedding"):
                rows = [e for e in mine if kind is None or e.kind == kind]
                query = UsageQuery(scope, TimeWindow(start, end), "day", kind)
                report = usage(db, query)
                same(report.totals, expected(rows, start, end))
                for b in report.by_bucket:
                    lo = max(start, b.start)
                    hi = min(end, b.start + timedelta(days=1, microseconds=-1))
                    same(b.metrics, expected(rows, lo, hi))
                for group in report.by_model:
                    of = [e for e in rows if e.served_model == group.key]
                    same(group.metrics, expected(of, start, end))
                for group in report.by_agent:
                    of = [e for e in rows if e.agent_name == group.key]
                    same(group.metrics, expected(of, start, end))


def test_stats_over_day_rollups_equal_the_raw_rows(
    ledger: tuple[Database, list[RequestRecord]],
) -> None:
    """``/stats`` reads whole days from the day rollups, the hours around them from the
    hourly ones, the cut hours from raw rows: the raw rows' counts, errors, cost, agents."""
    db, entries = ledger
    for start, end in WINDOWS:
        for scope, mine in (
            (LedgerScope(CLIENT), entries),
            (LedgerScope(CLIENT, "tok_1"), [e for e in entries if e.token_id == "tok_1"]),
        ):
            rows = [e for e in mine if start <= e.created_at <= end]
            found = stats(db, scope, TimeWindow(start, end))
            assert found.requests == len(rows)
            assert found.errors == sum(1 for e in rows if e.status >= 400)
            assert found.cost_usd == pytest.approx(sum(e.cost_usd for e in rows), abs=1e-9)
            assert found.active_agents == len({e.agent_name for e in rows if e.agent_name})


def test_whole_days_are_read_from_the_day_rollups(
    ledger: tuple[Database, list[RequestRecord]],
) -> None:
    """The plan of a daily report over days 2 and 3 reads those days from the day table."""
    db, _ = ledger
    start, end = T0 + timedelta(hours=2, minutes=13), T0 + timedelta(hours=60, minutes=7)
    with db.engine.connect() as conn:
        plan = queries._plan(conn, UsageQuery(LedgerScope(CLIENT), TimeWindow(start, end)))
    day = datetime(2026, 11, 18, tzinfo=UTC)
    assert plan.days == (day, day + timedelta(days=2))


def test_the_day_backfill_computes_what_the_writer_kept(
    ledger: tuple[Database, list[RequestRecord]],
) -> None:
    db, _ = ledger

    def days() -> list[dict[str, object]]:
        with db.engine.connect() as conn:
            rows = conn.execute(select(DAY_ROLLUPS).order_by(DAY_ROLLUPS.c.id)).mappings().all()
        return [
            {**r, "cost_usd": round(r["cost_usd"], 12), "latency": histogram.decode(r["latency"])}
            for r in rows
        ]

    kept = days()
    assert sum(int(r["requests"]) for r in kept) == 500  # type: ignore[call-overload]
    assert {r["day"].hour for r in kept} == {0}  # type: ignore[attr-defined]
    with db.engine.begin() as conn:
        conn.execute(delete(DAY_ROLLUPS))
        assert backfill_days(conn) > 0
    assert days() == kept

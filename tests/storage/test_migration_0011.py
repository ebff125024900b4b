"""Migration 0011 (day rollups) on a ledger written before it, on SQLite and PostgreSQL:
the upgrade back-fills ``usage_rollup_day`` with exactly what the writer keeps (the hourly
rollups summed per day), daily reports over it are the raw rows', the writer then adds to
the back-filled rows, and a downgrade keeps the hourly rollups and the rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from gate_service.ledger import histogram
from gate_service.ledger.queries import usage
from gate_service.ledger.rollups import DAY_ROLLUPS
from gate_service.ledger.store import LedgerStore
from gate_service.ledger.views import LedgerScope, TimeWindow, UsageQuery
from gate_service.storage.database import Database
from tests.storage.test_migration_0006 import CLIENT, _alembic, _record
from tests.storage.test_migrations import _differences

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def _days(db: Database) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(DAY_ROLLUPS).order_by(DAY_ROLLUPS.c.id)).mappings().all()
    return [
        {**r, "cost_usd": round(r["cost_usd"], 12), "latency": histogram.decode(r["latency"])}
        for r in rows
    ]


def test_0011_backfills_the_day_rollups_the_writer_keeps(db: Database) -> None:
    records = [
        _record(
            id=f"r-{i:03d}",
            token_id=f"tok_{i % 2}",
            agent_name=f"agent-{i % 2}",
            status=502 if i % 7 == 0 else 200,
            latency_ms=float(5 + i),
            kind="embedding" if i % 5 == 0 else "chat",
            created_at=T0 + timedelta(minutes=37 * i),  # over three days
        )
        for i in range(120)
    ]
    store = LedgerStore(db)
    assert store.write(records[:60]).written == 60
    assert store.write(records[60:]).written == 60
    kept = _days(db)
    assert len({r["day"] for r in kept}) == 4
    _alembic(db, "downgrade", "0010")
    assert "usage_rollup_day" not in sa.inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT sum(requests) FROM usage_rollup")).scalar_one() == 120
    db.migrate()
    assert _differences(db, SQLModel.metadata) == []
    assert _days(db) == kept

    window = TimeWindow(T0 - timedelta(days=1), T0 + timedelta(days=5))
    report = usage(db, UsageQuery(LedgerScope(CLIENT), window))
    assert report.totals.requests == 120
    assert report.totals.errors == sum(r.status >= 400 for r in records)
    ok = [r.latency_ms for r in records if r.status < 400]
    p50, p95, p99 = histogram.percentiles(histogram.of(ok)) or (None, None, None)
    assert (report.totals.latency_p50_ms, report.totals.latency_p95_ms) == (p50, p95)
    assert report.totals.latency_p99_ms == p99

    # The writer adds to the day rollups the migration built.
    assert store.write([_record(id="late", created_at=records[0].created_at)]).written == 1
    after = _days(db)
    assert len(after) == len(kept)
    assert sum(int(r["requests"]) for r in after) == 121

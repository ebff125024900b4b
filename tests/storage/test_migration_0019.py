"""Migration 0019 (cache hits and fallbacks in the rollups) on a ledger written before it,
on SQLite and PostgreSQL: the upgrade fills both counts, hourly and daily, with exactly
what the writer keeps for the same rows, and a downgrade drops only the two columns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from gate_service.ledger.rollups import DAY_ROLLUPS, ROLLUPS
from gate_service.ledger.store import LedgerStore
from gate_service.storage.database import Database
from tests.storage.test_migration_0006 import _alembic, _record
from tests.storage.test_migrations import _differences

T0 = datetime(2026, 10, 1, 21, 0, tzinfo=UTC)


def _counts(db: Database, table: sa.Table) -> dict[str, tuple[int, int, int]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(table.c.id, table.c.requests, table.c.cache_hits, table.c.fallbacks)
        ).all()
    return {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}


def test_0019_fills_cache_hits_and_fallbacks_as_the_writer_keeps_them(db: Database) -> None:
    def chain(i: int) -> tuple[str, ...]:
        return ("groq:a", "cerebras:b", "mistral:c")[: 1 + i % 3] if i % 4 else ()

    records = [
        _record(
            id=f"r-{i:03d}",
            token_id=f"tok_{i % 2}",
            agent_name=f"agent-{i % 2}",
            cache_hit=i % 5 == 0,
            # A model name with a quote and a comma must not read as two entries.
            fallback_chain=('x:say "a","b"',) if i % 11 == 0 else chain(i),
            created_at=T0 + timedelta(minutes=29 * i),  # over two days
        )
        for i in range(100)
    ]
    LedgerStore(db).write(records)
    hourly, daily = _counts(db, ROLLUPS), _counts(db, DAY_ROLLUPS)
    hits = sum(r.cache_hit for r in records)
    falls = sum(len(r.fallback_chain) > 1 for r in records)
    assert hits == 20 and falls > 10
    for kept in (hourly, daily):
        assert sum(v[1] for v in kept.values()) == hits
        assert sum(v[2] for v in kept.values()) == falls

    _alembic(db, "downgrade", "0018")
    columns: Any = {c["name"] for c in sa.inspect(db.engine).get_columns("usage_rollup")}
    assert "cache_hits" not in columns and "requests" in columns
    db.migrate()
    assert _differences(db, SQLModel.metadata) == []
    assert _counts(db, ROLLUPS) == hourly
    assert _counts(db, DAY_ROLLUPS) == daily

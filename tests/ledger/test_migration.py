"""Migration 0005 on a ledger written before it, on SQLite and PostgreSQL: attempts move
into their request's row, existing rows are summed into the rollups, and a downgrade puts
the attempts back in their table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from gate_service.ledger.queries import get_trace, usage
from gate_service.ledger.views import LedgerScope, TimeWindow, UsageQuery
from gate_service.storage.database import MIGRATIONS_DIR, Database

CLIENT = "cli_migratemigratemi"
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)

_requests = sa.table(
    "request_log",
    *(sa.column(n) for n in ("id", "client_id", "token_id", "requested_model", "served_model")),
    *(sa.column(n) for n in ("provider", "status", "latency_ms", "prompt_tokens")),
    *(sa.column(n) for n in ("completion_tokens", "cached_tokens", "reasoning_tokens")),
    *(sa.column(n) for n in ("cost_usd", "streamed", "cache_hit", "fallback_chain")),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_attempts = sa.table(
    "attempt_log",
    *(sa.column(n) for n in ("request_id", "seq", "provider", "model", "key_preview")),
    *(sa.column(n) for n in ("outcome", "status", "latency_ms", "error_code", "error_message")),
)


def _to(db: Database, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _old_ledger(db: Database) -> None:
    """What the 0004 code wrote: 40 requests over two hours, each with one or two attempts."""
    with db.engine.begin() as conn:
        conn.execute(
            sa.insert(_requests),
            [
                {
                    "id": f"old-{i:03d}",
                    "client_id": CLIENT,
                    "token_id": None,
                    "requested_model": "gpt-4o",
                    "served_model": "gpt-4o",
                    "provider": "openai",
                    "status": 200 if i % 4 else 502,
                    "latency_ms": float(10 + i),
                    "prompt_tokens": 10,
                    "completion_tokens": 5,
                    "cached_tokens": 0,
                    "reasoning_tokens": 0,
                    "cost_usd": 0.001,
                    "streamed": False,
                    "cache_hit": False,
                    "fallback_chain": "[]",
                    "created_at": T0 + timedelta(minutes=3 * i),
                }
                for i in range(40)
            ],
        )
        rows = []
        for i in range(40):
            for seq in range(1 + (i % 4 == 0)):
                rows.append(
                    {
                        "request_id": f"old-{i:03d}",
                        "seq": seq,
                        "provider": "groq" if seq == 0 and i % 4 == 0 else "openai",
                        "model": "gpt-4o",
                        "key_preview": "sk…1",
                        "outcome": "error" if seq == 0 and i % 4 == 0 else "success",
                        "status": 502 if seq == 0 and i % 4 == 0 else 200,
                        "latency_ms": 1.5,
                        "error_code": "server_error" if seq == 0 and i % 4 == 0 else "",
                        "error_message": "",
                    }
                )
        conn.execute(sa.insert(_attempts), rows)


def test_0005_moves_attempts_and_back_fills_the_rollups(db: Database) -> None:
    _to(db, "0004")
    _old_ledger(db)
    db.migrate()
    trace = get_trace(db, LedgerScope(CLIENT), "old-004")
    assert trace is not None
    assert [(a.provider, a.outcome, a.status) for a in trace.attempts] == [
        ("groq", "error", 502),
        ("openai", "success", 200),
    ]
    one = get_trace(db, LedgerScope(CLIENT), "old-001")
    assert one is not None and [a.outcome for a in one.attempts] == ["success"]
    window = TimeWindow(T0 - timedelta(days=1), T0 + timedelta(days=1))
    report = usage(db, UsageQuery(LedgerScope(CLIENT), window, "hour"))
    assert (report.totals.requests, report.totals.errors) == (40, 10)
    assert [b.metrics.requests for b in report.by_bucket] == [20, 20]
    assert report.totals.cost_usd == 0.04 and report.totals.latency_p50_ms is not None
    # And back: the attempts return to their table.
    _to(db, "0004")
    with db.engine.connect() as conn:
        back = conn.execute(
            sa.select(_attempts.c.provider, _attempts.c.seq)
            .where(_attempts.c.request_id == "old-004")
            .order_by(_attempts.c.seq)
        ).all()
        total = conn.execute(sa.select(sa.func.count()).select_from(_attempts)).scalar_one()
    assert [tuple(r) for r in back] == [("groq", 0), ("openai", 1)] and total == 50
    db.migrate()
    with db.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT attempts FROM request_log WHERE id = 'old-008'"))
        assert len(orjson.loads(stored.scalar_one())) == 2

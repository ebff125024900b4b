"""Migration 0008 (span timings, content capture) on data written before it, on SQLite and
PostgreSQL: brands come out with capture off and the default retention and cap, tokens
follow their brand, existing requests keep their rows with no timings (their traces read
as before, with a waterfall of attempts and ledger only), and a downgrade and upgrade
again keep every row."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import SQLModel

from gate_service.auth import controls
from gate_service.ledger.queries import get_trace
from gate_service.ledger.spans import spans_of
from gate_service.ledger.views import LedgerScope
from gate_service.storage.database import Database
from gate_service.storage.models import AgentToken, Brand
from tests.storage.test_migration_0006 import _alembic
from tests.storage.test_migrations import _differences

CLIENT = "cli_captcaptcaptcapt"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
_CHAIN = '["openai:gpt-4o"]'
_ATTEMPTS = (
    '[{"provider":"openai","model":"gpt-4o","key":"sk-…1","outcome":"success",'
    '"status":200,"latency_ms":11.0}]'
)


def test_0008_upgrades_existing_rows_and_downgrades(db: Database) -> None:
    _alembic(db, "upgrade", "0007")
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO brand (client_id, name, created_at, budget_mode, billing_anchor_day)"
                " VALUES (:c, 'old', :t, 'hard', 1)"
            ),
            {"c": CLIENT, "t": T0},
        )
        conn.execute(
            sa.text(
                "INSERT INTO agent_token (id, client_id, name, token_hash, prefix, scopes,"
                " created_at, budget_mode, allowed_models, free_only)"
                " VALUES ('tok_old', :c, 'agent', 'h', 'p', 'gate:usage', :t, 'hard', '', :f)"
            ),
            {"c": CLIENT, "t": T0, "f": False},
        )
        conn.execute(
            sa.text(
                "INSERT INTO request_log (id, client_id, requested_model, kind, status,"
                " latency_ms, prompt_tokens, completion_tokens, cached_tokens,"
                " reasoning_tokens, cost_usd, streamed, cache_hit, fallback_chain, attempts,"
                " created_at) VALUES ('old-1', :c, 'gpt-4o', 'chat', 200, 12.5, 1, 1, 0, 0,"
                " 0.0, :f, :f, :chain, :attempts, :t)"
            ),
            {"c": CLIENT, "t": T0, "f": False, "chain": _CHAIN, "attempts": _ATTEMPTS},
        )
    _alembic(db, "upgrade", "head")
    assert _differences(db, SQLModel.metadata) == []
    with db.session() as session:
        brand = session.get(Brand, CLIENT)
        token = session.get(AgentToken, "tok_old")
        assert brand is not None and token is not None
        brand_controls = controls.brand_controls(brand)
        assert (
            brand_controls.capture_enabled,
            brand_controls.capture_retention_days,
            brand_controls.capture_max_chars,
        ) == (False, 30, 32768)
        assert controls.token_controls(token).capture is None
    scope = LedgerScope(CLIENT, None)
    trace = get_trace(db, scope, "old-1")
    assert trace is not None
    assert (trace.auth_ms, trace.plan_ms, trace.admission_ms) == (None, None, None)
    assert [s.name for s in spans_of(trace)] == ["attempt", "ledger"]
    _alembic(db, "downgrade", "0007")
    _alembic(db, "upgrade", "head")
    assert get_trace(db, scope, "old-1") == trace
    assert _differences(db, SQLModel.metadata) == []

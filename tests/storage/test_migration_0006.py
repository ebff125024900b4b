"""Migration 0006 (the request kind) on a ledger written before it, on SQLite and
PostgreSQL: existing rows become chat, the rollups built by 0005 stay exactly what a
back-fill from the rows gives (under the ids the 0005 code gave them, so the writer keeps
adding to them), new requests of another kind get rollups of their own, and a downgrade
and upgrade again keep every row."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import SQLModel

from gate_service.ledger import histogram
from gate_service.ledger.queries import usage
from gate_service.ledger.record import RequestRecord
from gate_service.ledger.rollups import ROLLUPS, backfill
from gate_service.ledger.rows import REQUESTS
from gate_service.ledger.store import LedgerStore
from gate_service.ledger.views import LedgerScope, TimeWindow, UsageQuery
from gate_service.storage.database import MIGRATIONS_DIR, Database
from tests.storage.test_migrations import _differences

CLIENT = "cli_kindkindkindkind"
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
WINDOW = TimeWindow(T0 - timedelta(days=1), T0 + timedelta(days=1))

# request_log as revision 0004 had it (the NOT NULL columns and the grouping values).
_REQUESTS_0004 = sa.table(
    "request_log",
    *(sa.column(n) for n in ("id", "client_id", "token_id", "agent_name", "requested_model")),
    *(sa.column(n) for n in ("alias", "served_model", "provider", "status", "latency_ms")),
    *(sa.column(n) for n in ("prompt_tokens", "completion_tokens", "cached_tokens")),
    *(sa.column(n) for n in ("reasoning_tokens", "cost_usd", "streamed", "cache_hit")),
    sa.column("fallback_chain"),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _alembic(db: Database, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def _old_rows() -> list[dict[str, Any]]:
    """30 requests over two hours by two agents, one in five an error."""
    return [
        {
            "id": f"old-{i:03d}",
            "client_id": CLIENT,
            "token_id": f"tok_{i % 2}",
            "agent_name": f"agent-{i % 2}",
            "requested_model": "agent/fast",
            "alias": "agent/fast",
            "served_model": "gpt-4o-mini",
            "provider": "openai",
            "status": 502 if i % 5 == 0 else 200,
            "latency_ms": float(10 + i),
            "prompt_tokens": 10 + i,
            "completion_tokens": 5,
            "cached_tokens": 0,
            "reasoning_tokens": 0,
            "cost_usd": 0.001,
            "streamed": False,
            "cache_hit": False,
            "fallback_chain": "[]",
            "created_at": T0 + timedelta(minutes=4 * i),
        }
        for i in range(30)
    ]


def _id_before_kinds(row: dict[str, Any]) -> str:
    """A rollup's id as the code of revision 0005 computed it (pinned here, not imported)."""
    hour = row["created_at"].replace(minute=0, second=0, microsecond=0)
    values = [row["client_id"], row["token_id"], hour.isoformat()]
    values += [row[n] for n in ("requested_model", "served_model", "provider", "alias")]
    values.append(row["agent_name"])
    return hashlib.blake2b(orjson.dumps(values), digest_size=16).hexdigest()


def _rollups(db: Database) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(ROLLUPS).order_by(ROLLUPS.c.id)).mappings().all()
    return [
        {**r, "cost_usd": round(r["cost_usd"], 12), "latency": histogram.decode(r["latency"])}
        for r in rows
    ]


def _record(**kw: Any) -> RequestRecord:
    values: dict[str, Any] = {
        **{k: v for k, v in _old_rows()[1].items() if k != "fallback_chain"},
        "key_id": None,
        "key_preview": None,
        "error_code": None,
        "ttft_ms": None,
        "kind": "chat",
        "fallback_chain": (),
        "attempts": (),
    }
    values.update(kw)
    return RequestRecord(**values)


def test_0006_makes_old_rows_chat_and_keeps_their_rollups(db: Database) -> None:
    _alembic(db, "downgrade", "0004")
    old = _old_rows()
    with db.engine.begin() as conn:
        conn.execute(sa.insert(_REQUESTS_0004), old)
    _alembic(db, "upgrade", "0005")  # 0005 sums the rows into rollups, as on a real upgrade
    with db.engine.connect() as conn:
        before = set(conn.execute(sa.text("SELECT id FROM usage_rollup")).scalars())
    assert before == {_id_before_kinds(r) for r in old} and len(before) == 4

    db.migrate()
    assert _differences(db, SQLModel.metadata) == []
    with db.engine.connect() as conn:
        kinds = conn.execute(sa.select(REQUESTS.c.kind, sa.func.count()).group_by("kind")).all()
        rollup_kinds = set(conn.execute(sa.select(ROLLUPS.c.kind)).scalars())
    assert [tuple(k) for k in kinds] == [("chat", 30)] and rollup_kinds == {"chat"}
    kept = _rollups(db)
    assert {r["id"] for r in kept} == before
    with db.engine.begin() as conn:  # what a back-fill of today computes from the rows
        conn.execute(sa.delete(ROLLUPS))
        assert backfill(conn, REQUESTS) == 30
    assert _rollups(db) == kept

    # The writer of today adds to the rollups 0005 built, and keeps other kinds apart.
    store = LedgerStore(db)
    assert (
        store.write([_record(id="new-chat"), _record(id="new-embed", kind="embedding")]).written
        == 2
    )
    after = {r["id"]: r for r in _rollups(db)}
    assert set(after) - before == {next(i for i in after if after[i]["kind"] == "embedding")}
    same_group = _id_before_kinds(old[1])
    assert after[same_group]["requests"] == 1 + sum(_id_before_kinds(r) == same_group for r in old)
    report = usage(db, UsageQuery(LedgerScope(CLIENT), WINDOW, "hour"))
    assert {g.key: g.metrics.requests for g in report.by_kind} == {"chat": 31, "embedding": 1}
    assert (report.totals.requests, report.totals.errors) == (32, 6)

    # A row written without a kind (by a replica not yet upgraded) is a chat request.
    with db.engine.begin() as conn:
        conn.execute(sa.insert(_REQUESTS_0004), [{**old[0], "id": "older-replica"}])
        stored = conn.execute(sa.text("SELECT kind FROM request_log WHERE id = 'older-replica'"))
        assert stored.scalar_one() == "chat"


def test_0006_downgrades_and_upgrades_keeping_rows(db: Database) -> None:
    store = LedgerStore(db)
    assert store.write([_record(id="a"), _record(id="b", kind="speech")]).written == 2
    _alembic(db, "downgrade", "0005")
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("request_log")}
    rollup_columns = {c["name"] for c in sa.inspect(db.engine).get_columns("usage_rollup")}
    assert "kind" not in columns | rollup_columns
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM request_log")).scalar_one() == 2
        # Revision 0005 sums every rollup row of an hour: the speech one still counts.
        total = conn.execute(sa.text("SELECT sum(requests) FROM usage_rollup")).scalar_one()
        assert total == 2
    db.migrate()
    assert _differences(db, SQLModel.metadata) == []
    report = usage(db, UsageQuery(LedgerScope(CLIENT), WINDOW))
    assert report.totals.requests == 2

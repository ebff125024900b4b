"""The ledger keeps up at full speed and reads fast: attempts inline, hourly rollups.

- ``request_log.attempts`` (JSON) replaces the ``attempt_log`` table. Each attempt row
  had its own entry in an index on a random key (the request id), so every request
  dirtied about one more random page: on a 300k-row SQLite ledger a batch of 100 requests
  wrote ~1.1 MB to the WAL with the table, ~0.6 MB without. Existing attempts are moved.
- ``usage_rollup``: per brand, token, hour, requested and served model, provider, alias and
  agent, the counts, sums and a latency histogram, kept by the ledger writer with the
  rows; ``GET /usage`` reads these instead of every request, ``GET /traces`` with a filter
  the hours that have a match. Existing rows are summed in here (streamed).

The rollups are computed by ``gate_service.ledger.rollups`` (imported, not copied: its
digest and histogram buckets are what the writer keeps adding to; a change to either
would need a migration recomputing the rollups anyway).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

from gate_service.ledger.rollups import backfill

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 5_000

_requests = sa.table(
    "request_log",
    sa.column("id", sa.String()),
    sa.column("client_id", sa.String()),
    sa.column("token_id", sa.String()),
    sa.column("agent_name", sa.String()),
    sa.column("requested_model", sa.String()),
    sa.column("alias", sa.String()),
    sa.column("served_model", sa.String()),
    sa.column("provider", sa.String()),
    sa.column("status", sa.Integer()),
    sa.column("latency_ms", sa.Float()),
    sa.column("prompt_tokens", sa.Integer()),
    sa.column("completion_tokens", sa.Integer()),
    sa.column("cached_tokens", sa.Integer()),
    sa.column("reasoning_tokens", sa.Integer()),
    sa.column("cost_usd", sa.Float()),
    sa.column("attempts", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_attempts = sa.table(
    "attempt_log",
    sa.column("id", sa.Integer()),
    sa.column("request_id", sa.String()),
    sa.column("seq", sa.Integer()),
    *(sa.column(name, sa.String()) for name in ("provider", "model", "key_preview", "outcome")),
    sa.column("status", sa.Integer()),
    sa.column("latency_ms", sa.Float()),
    sa.column("error_code", sa.String()),
    sa.column("error_message", sa.String()),
)


def _rollup_table() -> sa.Table:
    big = sa.BigInteger()
    return op.create_table(
        "usage_rollup",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("token_id", sa.String(length=40), nullable=True),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_model", sa.String(length=300), nullable=False),
        sa.Column("served_model", sa.String(length=300), nullable=True),
        sa.Column("provider", sa.String(length=64), nullable=True),
        sa.Column("alias", sa.String(length=100), nullable=True),
        sa.Column("agent_name", sa.String(length=200), nullable=True),
        sa.Column("requests", big, nullable=False),
        sa.Column("errors", big, nullable=False),
        sa.Column("prompt_tokens", big, nullable=False),
        sa.Column("completion_tokens", big, nullable=False),
        sa.Column("cached_tokens", big, nullable=False),
        sa.Column("reasoning_tokens", big, nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("latency", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def _chunks(rows: Iterator[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def upgrade() -> None:
    connection = op.get_bind()
    op.add_column(
        "request_log", sa.Column("attempts", sa.String(), nullable=False, server_default="[]")
    )
    ordered = sa.select(_attempts).order_by(_attempts.c.request_id, _attempts.c.seq, _attempts.c.id)
    rows = connection.execute(ordered.execution_options(yield_per=_CHUNK))
    merged = (
        {
            "rid": request_id,
            "attempts": orjson.dumps(
                [
                    {
                        "provider": a.provider,
                        "model": a.model,
                        "key": a.key_preview,
                        "outcome": a.outcome,
                        "status": a.status,
                        "latency_ms": a.latency_ms,
                        "error_code": a.error_code,
                        "error_message": a.error_message,
                    }
                    for a in attempts
                ]
            ).decode(),
        }
        for request_id, attempts in groupby(rows, key=lambda a: a.request_id)
    )
    update = (
        sa.update(_requests)
        .where(_requests.c.id == sa.bindparam("rid"))
        .values(attempts=sa.bindparam("attempts"))
    )
    for chunk in _chunks(merged):
        connection.execute(update, chunk)
    op.drop_index("ix_attempt_log_request_id", table_name="attempt_log")
    op.drop_table("attempt_log")
    rollups = _rollup_table()
    op.create_index("ix_usage_rollup_client_hour", "usage_rollup", ["client_id", "hour"])
    op.create_index("ix_usage_rollup_token_hour", "usage_rollup", ["token_id", "hour"])
    backfill(connection, _requests, rollups)


def downgrade() -> None:
    connection = op.get_bind()
    op.drop_index("ix_usage_rollup_token_hour", table_name="usage_rollup")
    op.drop_index("ix_usage_rollup_client_hour", table_name="usage_rollup")
    op.drop_table("usage_rollup")
    op.create_table(
        "attempt_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=300), nullable=False),
        sa.Column("key_preview", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=False),
        sa.Column("error_message", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_attempt_log_request_id", "attempt_log", ["request_id"])
    stored = connection.execute(
        sa.select(_requests.c.id, _requests.c.attempts)
        .where(_requests.c.attempts != "[]")
        .execution_options(yield_per=_CHUNK)
    )
    split = (
        {
            "request_id": request_id,
            "seq": seq,
            "provider": a.get("provider", ""),
            "model": a.get("model", ""),
            "key_preview": a.get("key", ""),
            "outcome": a.get("outcome", ""),
            "status": int(a.get("status", 0)),
            "latency_ms": float(a.get("latency_ms", 0.0)),
            "error_code": a.get("error_code", ""),
            "error_message": a.get("error_message", ""),
        }
        for request_id, text in stored
        for seq, a in enumerate(orjson.loads(text or "[]"))
    )
    for chunk in _chunks(split):
        connection.execute(sa.insert(_attempts), chunk)
    with op.batch_alter_table("request_log") as batch:
        batch.drop_column("attempts")

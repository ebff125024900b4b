"""Governance and the ledger: per-token controls, brand budgets, request and attempt logs.

Written by hand to match ``gate_service/storage/models.py``; ``tests/storage`` compares the
migrated schema with the models on SQLite and PostgreSQL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TOKEN_COLUMNS = (
    "rpm_limit",
    "rpd_limit",
    "budget_usd",
    "budget_mode",
    "allowed_models",
    "free_only",
)
_BRAND_COLUMNS = ("budget_usd", "budget_mode", "billing_anchor_day")


def upgrade() -> None:
    with op.batch_alter_table("agent_token") as batch:
        batch.add_column(sa.Column("rpm_limit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rpd_limit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("budget_usd", sa.Float(), nullable=True))
        batch.add_column(
            sa.Column("budget_mode", sa.String(length=8), nullable=False, server_default="hard")
        )
        batch.add_column(
            sa.Column("allowed_models", sa.String(length=4000), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("free_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("brand") as batch:
        batch.add_column(sa.Column("budget_usd", sa.Float(), nullable=True))
        batch.add_column(
            sa.Column("budget_mode", sa.String(length=8), nullable=False, server_default="hard")
        )
        batch.add_column(
            sa.Column("billing_anchor_day", sa.Integer(), nullable=False, server_default="1")
        )
    op.create_table(
        "request_log",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("token_id", sa.String(length=40), nullable=True),
        sa.Column("agent_name", sa.String(length=200), nullable=True),
        sa.Column("requested_model", sa.String(length=300), nullable=False),
        sa.Column("alias", sa.String(length=100), nullable=True),
        sa.Column("served_model", sa.String(length=300), nullable=True),
        sa.Column("provider", sa.String(length=64), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=True),
        sa.Column("key_preview", sa.String(length=32), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("ttft_ms", sa.Float(), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cached_tokens", sa.Integer(), nullable=False),
        sa.Column("reasoning_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("streamed", sa.Boolean(), nullable=False),
        sa.Column("cache_hit", sa.Boolean(), nullable=False),
        sa.Column("fallback_chain", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_request_log_client_created", "request_log", ["client_id", "created_at"])
    op.create_index("ix_request_log_token_created", "request_log", ["token_id", "created_at"])
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


def downgrade() -> None:
    op.drop_index("ix_attempt_log_request_id", table_name="attempt_log")
    op.drop_table("attempt_log")
    op.drop_index("ix_request_log_token_created", table_name="request_log")
    op.drop_index("ix_request_log_client_created", table_name="request_log")
    op.drop_table("request_log")
    with op.batch_alter_table("brand") as batch:
        for name in reversed(_BRAND_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("agent_token") as batch:
        for name in reversed(_TOKEN_COLUMNS):
            batch.drop_column(name)

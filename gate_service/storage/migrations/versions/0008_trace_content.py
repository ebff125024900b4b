"""Span timings and content capture for traces: ``request_log`` gains ``auth_ms``,
``plan_ms`` and ``admission_ms`` (nullable: older rows have none, and adding them rewrites
no row on either database); the brand's capture settings, the token's override, and
``trace_content`` (the captured messages, apart from ``request_log``, keyed by the trace
id and purged at ``expires_at``, indexed for the purge).

New columns have server defaults (capture off, 30 days, 32,768 characters; the token's
override NULL: follow the brand), so no existing row is rewritten. Downgrade drops them
(with ALTER TABLE ... DROP COLUMN: SQLite 3.35 or newer).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SPANS = ("auth_ms", "plan_ms", "admission_ms")


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN on both databases (each with its default, so no row
    # is rewritten): a batch rebuild of ``brand`` on SQLite would drop a table that tokens,
    # credentials and keys reference.
    op.add_column(
        "brand",
        sa.Column("capture_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "brand",
        sa.Column("capture_retention_days", sa.Integer(), nullable=False, server_default="30"),
    )
    op.add_column(
        "brand",
        sa.Column("capture_max_chars", sa.Integer(), nullable=False, server_default="32768"),
    )
    op.add_column("agent_token", sa.Column("capture", sa.Boolean(), nullable=True))
    for name in _SPANS:
        op.add_column("request_log", sa.Column(name, sa.Float(), nullable=True))
    op.create_table(
        "trace_content",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("input_messages", sa.String(), nullable=False),
        sa.Column("output_messages", sa.String(), nullable=False),
        sa.Column("input_truncated", sa.Boolean(), nullable=False),
        sa.Column("output_truncated", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_trace_content_expires", "trace_content", ["expires_at"])


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch rebuild of ``brand`` would
    # drop the table that agent tokens, credentials and keys reference, which SQLite's
    # foreign keys refuse once the brand has any of them.
    op.drop_index("ix_trace_content_expires", table_name="trace_content")
    op.drop_table("trace_content")
    for name in _SPANS:
        op.drop_column("request_log", name)
    op.drop_column("agent_token", "capture")
    for name in ("capture_max_chars", "capture_retention_days", "capture_enabled"):
        op.drop_column("brand", name)

"""Web console sessions (``console_session``): one row per sign-in, keyed by the hash of
the session id, holding the credential sealed under a key only the cookie gives; indexed
on ``last_seen_at`` for the purge of idle sessions.

A new table only: no existing row is touched. Downgrade drops it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=256), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    op.create_index("ix_console_session_last_seen", "console_session", ["last_seen_at"])


def downgrade() -> None:
    op.drop_index("ix_console_session_last_seen", table_name="console_session")
    op.drop_table("console_session")

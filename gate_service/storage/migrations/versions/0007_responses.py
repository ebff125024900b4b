"""Stored Responses API responses (``stored_response``): for ``GET /responses/{id}``,
``/input_items`` and ``previous_response_id``, scoped to the brand (``client_id``) and
purged after the retention bound (``created_at``, indexed for the purge).

A new table only: no existing row is touched. Downgrade drops it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_response",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response", sa.String(), nullable=False),
        sa.Column("input_items", sa.String(), nullable=False),
        sa.Column("context", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stored_response_client_id", "stored_response", ["client_id"])
    op.create_index("ix_stored_response_created", "stored_response", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_stored_response_created", table_name="stored_response")
    op.drop_index("ix_stored_response_client_id", table_name="stored_response")
    op.drop_table("stored_response")

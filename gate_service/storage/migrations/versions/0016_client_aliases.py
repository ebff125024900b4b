"""Client aliases (``client_alias``): a brand's own chains over its own keys, one row per
(brand, leaf), the chain as a JSON list in ``slots``.

A new table only: no existing row is touched. Downgrade drops it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_alias",
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("leaf", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("slots", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["brand.client_id"]),
        sa.PrimaryKeyConstraint("client_id", "leaf"),
    )


def downgrade() -> None:
    op.drop_table("client_alias")

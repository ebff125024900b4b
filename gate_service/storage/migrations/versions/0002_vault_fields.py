"""Vault fields on provider keys: routing order, limits, sharing, soft delete.

Written by hand to match ``gate_service/storage/models.py``. Every new column is nullable
or has a server default, so existing rows stay valid and SQLite can add them without
rebuilding the table. Existing secrets are still plaintext after this step: the vault
seals them (encrypts in place) when it opens, because the master key is configuration,
not something a migration can know.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    "primary",
    "priority",
    "rpm_limit",
    "rpd_limit",
    "spend_limit_usd",
    "spend_period",
    "spend_action",
    "supports_embeddings",
    "shared",
    "deleted_at",
)


def upgrade() -> None:
    with op.batch_alter_table("provider_key") as batch:
        batch.add_column(
            sa.Column("primary", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="100"))
        batch.add_column(sa.Column("rpm_limit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rpd_limit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("spend_limit_usd", sa.Float(), nullable=True))
        batch.add_column(
            sa.Column(
                "spend_period", sa.String(length=16), nullable=False, server_default="monthly"
            )
        )
        batch.add_column(
            sa.Column("spend_action", sa.String(length=16), nullable=False, server_default="warn")
        )
        batch.add_column(
            sa.Column(
                "supports_embeddings", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(
            sa.Column("shared", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Secrets stay encrypted: a release from before the vault would read ciphertext as
    # the key, so downgrading past 0002 is for development databases only.
    with op.batch_alter_table("provider_key") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)

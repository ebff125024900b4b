"""Initial schema: meta, brands, credentials, agent tokens, provider keys, catalog.

Written by hand to match ``gate_service/storage/models.py``; ``tests/storage`` compares the
migrated schema with the models on SQLite and PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "brand",
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("client_id"),
    )
    op.create_index("ix_brand_name", "brand", ["name"], unique=True)

    op.create_table(
        "client_credential",
        sa.Column("api_key", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=128), nullable=False),
        _timestamp("created_at"),
        _timestamp("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["brand.client_id"]),
        sa.PrimaryKeyConstraint("api_key"),
    )
    op.create_index("ix_client_credential_client_id", "client_credential", ["client_id"])

    op.create_table(
        "agent_token",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        _timestamp("created_at"),
        _timestamp("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["brand.client_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agent_token_client_id", "agent_token", ["client_id"])
    op.create_index("ix_agent_token_token_hash", "agent_token", ["token_hash"], unique=True)

    op.create_table(
        "provider_key",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.String(), nullable=True),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=4096), nullable=False),
        sa.Column("preview", sa.String(length=32), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(["client_id"], ["brand.client_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_provider_key_client_id", "provider_key", ["client_id"])
    op.create_index("ix_provider_key_provider", "provider_key", ["provider"])

    op.create_table(
        "catalog_entry",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("data", sa.String(), nullable=False),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("kind", "id"),
    )


def downgrade() -> None:
    op.drop_table("catalog_entry")
    op.drop_index("ix_provider_key_provider", table_name="provider_key")
    op.drop_index("ix_provider_key_client_id", table_name="provider_key")
    op.drop_table("provider_key")
    op.drop_index("ix_agent_token_token_hash", table_name="agent_token")
    op.drop_index("ix_agent_token_client_id", table_name="agent_token")
    op.drop_table("agent_token")
    op.drop_index("ix_client_credential_client_id", table_name="client_credential")
    op.drop_table("client_credential")
    op.drop_index("ix_brand_name", table_name="brand")
    op.drop_table("brand")
    op.drop_table("meta")

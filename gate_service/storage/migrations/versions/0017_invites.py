"""Contributor invites (``invite``): one row per invite, with the SHA-256 of its link's
token and of the contributor's revoke token, the mail's delivery state and, until the
mail has gone, the link's token sealed with the vault cipher (the outbox).

A new table only: no existing row is touched. Downgrade drops it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    when = sa.DateTime(timezone=True)
    op.create_table(
        "invite",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("message", sa.String(length=2000), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("revoke_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revoked_by", sa.String(length=16), nullable=True),
        sa.Column("created_at", when, nullable=False),
        sa.Column("expires_at", when, nullable=False),
        sa.Column("used_at", when, nullable=True),
        sa.Column("revoked_at", when, nullable=True),
        sa.Column("key_id", sa.String(length=40), nullable=True),
        sa.Column("key_preview", sa.String(length=32), nullable=False),
        sa.Column("mail_status", sa.String(length=16), nullable=False),
        sa.Column("mail_attempts", sa.Integer(), nullable=False),
        sa.Column("mail_error", sa.String(length=500), nullable=False),
        sa.Column("mail_sent_at", when, nullable=True),
        sa.Column("mail_next_at", when, nullable=True),
        sa.Column("outbox", sa.String(length=1024), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["brand.client_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
        sa.UniqueConstraint("revoke_hash"),
    )
    op.create_index("ix_invite_client_created", "invite", ["client_id", "created_at"])
    op.create_index("ix_invite_mail_due", "invite", ["mail_status", "mail_next_at"])


def downgrade() -> None:
    op.drop_index("ix_invite_mail_due", table_name="invite")
    op.drop_index("ix_invite_client_created", table_name="invite")
    op.drop_table("invite")

"""Saved prompts: ``saved_prompt`` (a brand's prompts, the current version of each, name
unique per brand and project) and ``saved_prompt_version`` (every version, for
``GET /prompts/{id}?version=N``), deleted with their prompt.

New tables only: no existing row is touched. Downgrade drops them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _content() -> list[sa.Column[object]]:
    """The columns a prompt and each of its versions share."""
    return [
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("system_prompt", sa.String(), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("settings", sa.String(), nullable=False),
        sa.Column("variables", sa.String(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "saved_prompt",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        *_content(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["brand.client_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "project_id", "name", name="uq_saved_prompt_name"),
    )
    op.create_index("ix_saved_prompt_client_created", "saved_prompt", ["client_id", "created_at"])
    op.create_table(
        "saved_prompt_version",
        sa.Column("prompt_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *_content(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["prompt_id"], ["saved_prompt.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("prompt_id", "version"),
    )


def downgrade() -> None:
    op.drop_table("saved_prompt_version")
    op.drop_index("ix_saved_prompt_client_created", table_name="saved_prompt")
    op.drop_table("saved_prompt")

"""A provider key's ``invalid`` mark outlives the process (``provider_key.invalid_at``).

Routing marks a key invalid when its provider answers 401/403; until now only in memory,
so a restart tried the dead key again. The column is set by routing and cleared when the
key is edited in a way that may fix it (new secret or address) or switched back on.

One nullable column: existing rows stay valid. Downgrade drops it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("provider_key") as batch:
        batch.add_column(sa.Column("invalid_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("provider_key") as batch:
        batch.drop_column("invalid_at")

"""The ledger records what kind of call each request was, and ``/usage`` sums by it.

- ``request_log.kind``: chat, embedding, image, speech, transcription or moderation.
- ``usage_rollup.kind``: the rollups are kept per kind too.

Both are NOT NULL with the server default ``'chat'``: every row written before this
revision was a chat completion, the only kind the gateway served, so the default is
exactly what a backfill would write, and adding a column with a constant default rewrites
no row (PostgreSQL 11+ and SQLite both store the default once), however large the ledger.

The rollups need no recomputing either: a chat rollup's id is the digest of its grouping
values without the kind (``gate_service.ledger.rollups.group_id``), the id it already has,
so the writer goes on adding to the rows found here. ``tests/storage`` checks that the
rollups after the upgrade are the ones a backfill from the rows would build.

Downgrade drops both columns. The rollups of other kinds stay as rows of their own;
without the kind they are further groups of the same values, and the code of revision
0005 sums every rollup row of an hour, so its reports keep counting them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("request_log", "usage_rollup")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(
            table,
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="chat"),
        )


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("kind")

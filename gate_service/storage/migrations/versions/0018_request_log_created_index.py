"""The ledger's rows by time alone, for the operator's reads across every brand.

The operator's ``GET /traces`` (and the console's Traces list and overview fallback sample
it reads) has no brand to start from: newest first over every brand was a sort of the
whole window, 1.3 s at 1,000,000 rows, where a brand's list is an index range scan
(``(client_id, created_at)``). ``(created_at, id)`` is the list's own order, so the
operator's page is read from the index's newest end too. Times only grow, so each insert
lands on the index's last page: little for the writer to add.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_request_log_created_id", "request_log", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_request_log_created_id", table_name="request_log")

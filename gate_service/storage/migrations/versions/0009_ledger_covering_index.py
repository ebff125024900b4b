"""The ledger's brand index carries the columns its statistics read.

``GET /traces/stats`` (and ``/capacity``) sum status, latency and cost over every request
of a brand in a window: at 1,000,000 rows (475k in the largest brand) that read 475k table
pages at random through ``(client_id, created_at)``: 2.3 s. With the three columns in the
index (PostgreSQL's ``INCLUDE``) the sums are an index-only scan: 160 ms. The new index
replaces the old one, whose key it repeats; SQLite has no ``INCLUDE`` and keeps the key.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COVERED = ["status", "latency_ms", "cost_usd"]


def upgrade() -> None:
    op.create_index(
        "ix_request_log_client_created_covering",
        "request_log",
        ["client_id", "created_at"],
        postgresql_include=_COVERED,
    )
    op.drop_index("ix_request_log_client_created", table_name="request_log")


def downgrade() -> None:
    op.create_index("ix_request_log_client_created", "request_log", ["client_id", "created_at"])
    op.drop_index("ix_request_log_client_created_covering", table_name="request_log")

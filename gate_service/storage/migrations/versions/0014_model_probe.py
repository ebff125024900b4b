"""What the gateway learnt about each model (``model_probe``): the probe's verdict
(``supports_tools``, ``last_probe_status``, ``probed_at``, written by
``spidergate catalog probe``) and routing's measurement of empty answers
(``empty_at_budget``: the largest ``max_tokens`` at which the model answered empty,
``empty_updated_at``: when it was set or cleared), so a restart keeps both.

A new table only: no existing row is touched. Downgrade drops it.

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_probe",
        sa.Column("model_id", sa.String(length=300), nullable=False),
        sa.Column("supports_tools", sa.Boolean(), nullable=True),
        sa.Column("last_probe_status", sa.String(length=16), nullable=True),
        sa.Column("probed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("empty_at_budget", sa.Integer(), nullable=True),
        sa.Column("empty_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("model_id"),
    )


def downgrade() -> None:
    op.drop_table("model_probe")

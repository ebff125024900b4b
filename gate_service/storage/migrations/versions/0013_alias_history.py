"""Platform alias administration: ``alias_history`` (one row per chain version of an
alias), and ``requires`` on the stored tool aliases.

The catalog lives in ``catalog_entry`` since its first start, so a database seeded before
this release has alias documents without ``requires``: the upgrade adds the bundled
data's ``requires`` (``[function_calling]`` on ``spideriq/tool-use`` and
``agent/tool-use``) to the stored rows of those aliases that lack the field, and leaves
every other field (an operator's chain edit) alone. Downgrade drops the table; the extra
document field is harmless to older code (stored rows are read leniently).

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gate_service.catalog.loader import load_bundled

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alias_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alias_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_alias_history_alias_version", "alias_history", ["alias_id", "version"], unique=True
    )
    _add_requires()


def _add_requires() -> None:
    bundled = {a.id: list(a.requires) for a in load_bundled().aliases if a.requires}
    entry = sa.table(
        "catalog_entry", sa.column("kind", sa.String), sa.column("id", sa.String), sa.column("data")
    )
    bind = op.get_bind()
    for alias_id, requires in bundled.items():
        where = sa.and_(entry.c.kind == "alias", entry.c.id == alias_id)
        data = bind.execute(sa.select(entry.c.data).where(where)).scalar()
        if data is None:
            continue
        document = json.loads(data)
        if not isinstance(document, dict) or "requires" in document:
            continue
        document["requires"] = requires
        text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        bind.execute(sa.update(entry).where(where).values(data=text))


def downgrade() -> None:
    op.drop_index("ux_alias_history_alias_version", table_name="alias_history")
    op.drop_table("alias_history")

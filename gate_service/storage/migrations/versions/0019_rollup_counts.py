"""Rollups count response-cache hits and fallbacks (``cache_hits``, ``fallbacks``), so the
console's Overview shows both over its whole window at a million rows.

Two columns on ``usage_rollup`` and ``usage_rollup_day``, zero by default, then filled
from ``request_log``: only the rows that count (answered from the cache, or a fallback
chain of two or more candidates) are read, tallied into their rollups' ids in Python (the
ids are digests ``gate_service.ledger.rollups.group_id`` computes) and written with one
UPDATE per rollup. Downgrade drops the columns.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gate_service.ledger import rollups

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("usage_rollup", "usage_rollup_day")
_requests = sa.table(
    "request_log",
    *(sa.column(name, sa.String()) for name in rollups.KEY_COLUMNS if name != "hour"),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("cache_hit", sa.Boolean()),
    sa.column("fallback_chain", sa.String()),
)


def upgrade() -> None:
    for table in _TABLES:
        for name in ("cache_hits", "fallbacks"):
            op.add_column(
                table, sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")
            )
    bind = op.get_bind()
    r = _requests.c
    counting = sa.select(_requests).where(
        sa.or_(r.cache_hit.is_(True), r.fallback_chain.like(f"%{rollups.CHAIN_SEPARATOR}%"))
    )
    hits: Counter[str] = Counter()
    falls: Counter[str] = Counter()
    day_hits: Counter[str] = Counter()
    day_falls: Counter[str] = Counter()
    for row in bind.execute(counting.execution_options(yield_per=10_000)).mappings():
        key = rollups.group_key(row)
        hour_id = rollups.group_id(key)
        day_id = rollups.group_id((key[0], key[1], rollups.day_of(key[2]), *key[3:]))
        if row["cache_hit"]:
            hits[hour_id] += 1
            day_hits[day_id] += 1
        if rollups.fell_back(row["fallback_chain"]):
            falls[hour_id] += 1
            day_falls[day_id] += 1
    for name, by_hits, by_falls in (
        ("usage_rollup", hits, falls),
        ("usage_rollup_day", day_hits, day_falls),
    ):
        rollup = sa.table(
            name,
            sa.column("id", sa.String()),
            sa.column("cache_hits", sa.BigInteger()),
            sa.column("fallbacks", sa.BigInteger()),
        )
        updates = [
            {"_id": i, "cache_hits": by_hits[i], "fallbacks": by_falls[i]}
            for i in sorted(set(by_hits) | set(by_falls))
        ]
        if updates:
            bind.execute(
                rollup.update()
                .where(rollup.c.id == sa.bindparam("_id"))
                .values(cache_hits=sa.bindparam("cache_hits"), fallbacks=sa.bindparam("fallbacks")),
                updates,
            )


def downgrade() -> None:
    for table in _TABLES:
        for name in ("fallbacks", "cache_hits"):
            op.drop_column(table, name)

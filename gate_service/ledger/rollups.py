"""Hourly rollups of the ledger: ``usage_rollup`` holds, per brand, token, hour, requested
and served model, provider, alias, agent and request kind, the request and error counts,
token and cost sums and a latency histogram of the successes (:mod:`.histogram`).

They are kept by the ledger writer in the same transaction as the rows they sum
(:func:`apply_all`), and so is ``usage_rollup_day``, the same sums per UTC day
(:func:`by_day`; a key's "hour" is then the day's midnight), so a reader that sees a row
sees it counted, in one snapshot; reports over months then read days × groups rollup rows,
not every request (see :mod:`.queries` for how the partial days and hours at a window's
edges are taken from the hourly rollups and the raw rows).

Concurrency: replicas sharing PostgreSQL update the same rollup rows. Each batch first
inserts the rows it needs (``ON CONFLICT DO NOTHING``), then locks them in id order
(``SELECT … FOR UPDATE``), adds its sums and writes them back: the same order everywhere,
so two writers never deadlock, and no update is lost. On SQLite the transaction already
holds the database's single write lock.

The request kind came last (migration 0006): a chat rollup's id is the digest of the other
values alone, exactly as before, so the rollups of a ledger written before kinds (all
chat) stay the ones the writer goes on adding to, and the migration rewrites none of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Table, TableClause, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gate_service.ledger import histogram
from gate_service.ledger.histogram import Histogram
from gate_service.ledger.timeutil import hour_of, utc
from gate_service.storage.models import UsageRollup, UsageRollupDay

ROLLUPS: Table = UsageRollup.__table__  # type: ignore[attr-defined]
DAY_ROLLUPS: Table = UsageRollupDay.__table__  # type: ignore[attr-defined]

# client_id, token_id, hour, requested_model, served_model, provider, alias, agent_name, kind
GroupKey = tuple[
    str, str | None, datetime, str, str | None, str | None, str | None, str | None, str
]
KEY_COLUMNS = (
    "client_id",
    "token_id",
    "hour",
    "requested_model",
    "served_model",
    "provider",
    "alias",
    "agent_name",
    "kind",
)
# The kind of every request written before kinds: rows of migration 0005's day have none.
_BEFORE_KINDS = "chat"
_SUMS = (
    "requests",
    "errors",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "reasoning_tokens",
)
# Counts added by migration 0019: requests answered from the response cache, and requests
# whose fallback chain holds more than one candidate. Written only where the table has
# them (the earlier migrations that fill rollups run this code on older tables).
_COUNTS = ("cache_hits", "fallbacks")
# Between two entries of a fallback chain as the ledger stores it (orjson, no spaces); a
# quote inside an entry is escaped, so this appears only when there are two or more.
CHAIN_SEPARATOR = '","'


def fell_back(chain: str | None) -> bool:
    """Whether a stored fallback chain holds more than one candidate."""
    return chain is not None and CHAIN_SEPARATOR in chain


@dataclass(slots=True)
class Tally:
    """Counts and sums of a set of requests, and the histogram of their successes'
    latencies; tallies add and subtract."""

    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    latency: Histogram = field(default_factory=dict)
    cache_hits: int = 0
    fallbacks: int = 0

    def count(self, row: Mapping[Any, Any], sign: int = 1) -> None:
        """Add (or with ``sign`` -1, take away) one request: a ``request_log`` row."""
        self.requests += sign
        self.prompt_tokens += sign * row["prompt_tokens"]
        self.completion_tokens += sign * row["completion_tokens"]
        self.cached_tokens += sign * row["cached_tokens"]
        self.reasoning_tokens += sign * row["reasoning_tokens"]
        self.cost_usd += sign * row["cost_usd"]
        if row.get("cache_hit"):
            self.cache_hits += sign
        if fell_back(row.get("fallback_chain")):
            self.fallbacks += sign
        if row["status"] >= 400:
            self.errors += sign
            return
        index = histogram.bucket(row["latency_ms"])
        total = self.latency.get(index, 0) + sign
        if total:
            self.latency[index] = total
        else:
            del self.latency[index]

    def add(self, other: Tally, sign: int = 1) -> None:
        self.requests += sign * other.requests
        self.errors += sign * other.errors
        self.prompt_tokens += sign * other.prompt_tokens
        self.completion_tokens += sign * other.completion_tokens
        self.cached_tokens += sign * other.cached_tokens
        self.reasoning_tokens += sign * other.reasoning_tokens
        self.cost_usd += sign * other.cost_usd
        self.cache_hits += sign * other.cache_hits
        self.fallbacks += sign * other.fallbacks
        histogram.add(self.latency, other.latency, sign)

    @classmethod
    def of_rollup(cls, row: Any) -> Tally:
        """The tally stored in a ``usage_rollup`` row."""
        return cls(
            int(row.requests),
            int(row.errors),
            int(row.prompt_tokens),
            int(row.completion_tokens),
            int(row.cached_tokens),
            int(row.reasoning_tokens),
            float(row.cost_usd),
            histogram.decode(row.latency),
            *(int(row._mapping.get(name) or 0) for name in _COUNTS),
        )

    def columns(self) -> dict[str, Any]:
        return {
            **{name: getattr(self, name) for name in _SUMS},
            "cost_usd": self.cost_usd,
            "latency": histogram.encode(self.latency),
            **{name: getattr(self, name) for name in _COUNTS},
        }


def group_key(row: Mapping[Any, Any]) -> GroupKey:
    """The rollup a ``request_log`` row (as written) is counted in."""
    at = row["created_at"]
    return (
        row["client_id"],
        row["token_id"],
        # Rows as written are UTC already: the common case skips the conversion.
        at.replace(minute=0, second=0, microsecond=0) if at.tzinfo is UTC else hour_of(at),
        row["requested_model"],
        row["served_model"],
        row["provider"],
        row["alias"],
        row["agent_name"],
        row.get("kind", _BEFORE_KINDS),
    )


def group_id(key: GroupKey) -> str:
    """The rollup row's primary key: a digest of its grouping values and hour."""
    values = [*key[:2], utc(key[2]).isoformat(), *key[3:8]]
    if key[8] != _BEFORE_KINDS:  # a chat rollup keeps the id it had before kinds
        values.append(key[8])
    return hashlib.blake2b(orjson.dumps(values), digest_size=16).hexdigest()


def tally(rows: Iterable[Mapping[str, Any]]) -> dict[GroupKey, Tally]:
    """Group rows as written (``rows.record_to_row``) by rollup."""
    groups: dict[GroupKey, Tally] = {}
    for row in rows:
        key = group_key(row)
        acc = groups.get(key)
        if acc is None:
            acc = groups[key] = Tally()
        acc.count(row)
    return groups


def apply(conn: Connection, groups: Mapping[GroupKey, Tally], table: Table = ROLLUPS) -> None:
    """Add ``groups`` to the stored rollups, inside the caller's transaction."""
    if not groups:
        return
    by_id = {group_id(key): (key, acc) for key, acc in groups.items()}
    ids = sorted(by_id)
    postgres = conn.dialect.name == "postgresql"
    insert = pg_insert if postgres else sqlite_insert
    # Migration 0005 fills a table of its day, without the kind (its rows are all chat);
    # the day table's time column is ``day``.
    named = [(_time_column(table, n), i) for i, n in enumerate(KEY_COLUMNS)]
    named = [(n, i) for n, i in named if n in table.c]
    stored = _stored_columns(table)
    empty = {n: v for n, v in Tally().columns().items() if n in stored}
    fresh = [{"id": i, **{n: by_id[i][0][k] for n, k in named}, **empty} for i in ids]
    conn.execute(insert(table).on_conflict_do_nothing(index_elements=["id"]), fresh)
    query = select(table).where(table.c.id.in_(ids)).order_by(table.c.id)
    if postgres:
        query = query.with_for_update()
    updates = []
    for row in conn.execute(query):
        acc = Tally.of_rollup(row)
        acc.add(by_id[row.id][1])
        updates.append({"_id": row.id, **acc.columns()})
    columns = [n for n in (*_SUMS, "cost_usd", "latency", *_COUNTS) if n in stored]
    conn.execute(
        table.update()
        .where(table.c.id == bindparam("_id"))
        .values({name: bindparam(name) for name in columns}),
        updates,
    )


def _stored_columns(table: Table) -> frozenset[str]:
    """The tally columns ``table`` has (a table of an earlier migration lacks _COUNTS)."""
    return frozenset(n for n in (*_SUMS, "cost_usd", "latency", *_COUNTS) if n in table.c)


def _time_column(table: Table, name: str) -> str:
    return "day" if name == "hour" and "day" in table.c else name


def day_of(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def by_day(groups: Mapping[GroupKey, Tally]) -> dict[GroupKey, Tally]:
    """Hourly groups summed into day groups (the key's hour becomes its day's midnight)."""
    days: dict[GroupKey, Tally] = {}
    for key, acc in groups.items():
        day_key = (key[0], key[1], day_of(key[2]), *key[3:])
        into = days.get(day_key)
        if into is None:
            into = days[day_key] = Tally()
        into.add(acc)
    return days


def apply_all(conn: Connection, groups: Mapping[GroupKey, Tally]) -> None:
    """Add hourly ``groups`` to the hourly and the day rollups (the writer's one call)."""
    apply(conn, groups)
    apply(conn, by_day(groups), DAY_ROLLUPS)


def backfill_days(conn: Connection, hourly: Table = ROLLUPS, days: Table = DAY_ROLLUPS) -> int:
    """Fill the (empty) day rollups from the hourly ones, for a migration; the number of
    hourly rows read. Streams them; memory grows with the number of day rollups."""
    groups: dict[GroupKey, Tally] = {}
    n = 0
    columns = [hourly.c[name] for name in KEY_COLUMNS]
    columns += [hourly.c[name] for name in (*_SUMS, "cost_usd", "latency")]
    columns += [hourly.c[name] for name in _COUNTS if name in hourly.c]
    result = conn.execute(select(*columns).execution_options(yield_per=10_000))
    for row in result:
        n += 1
        key: GroupKey = (row[0], row[1], day_of(utc(row[2])), *row[3:9])
        acc = groups.get(key)
        if acc is None:
            acc = groups[key] = Tally()
        acc.add(Tally.of_rollup(row))
    items = list(groups.items())
    for start in range(0, len(items), 1_000):
        apply(conn, dict(items[start : start + 1_000]), days)
    return n


def backfill(conn: Connection, requests: TableClause, table: Table = ROLLUPS) -> int:
    """Compute the rollups of every row of ``requests`` (for a migration: ``table`` must be
    empty); the number of rows read. Streams the rows; memory grows with the number of
    rollups (hours × groups), not rows."""
    keys = (*KEY_COLUMNS[:2], "created_at", *KEY_COLUMNS[3:])
    columns = [requests.c[name] for name in keys if name in requests.c]  # 0005: no kind
    columns += [
        requests.c[name]
        for name in (*_SUMS[2:], "status", "cost_usd", "latency_ms", "cache_hit", "fallback_chain")
        if name in requests.c
    ]
    groups: dict[GroupKey, Tally] = {}
    n = 0
    result = conn.execute(select(*columns).execution_options(yield_per=10_000))
    for row in result.mappings():
        n += 1
        key = group_key(row)
        acc = groups.get(key)
        if acc is None:
            acc = groups[key] = Tally()
        acc.count(row)
    items = list(groups.items())
    for start in range(0, len(items), 1_000):
        apply(conn, dict(items[start : start + 1_000]), table)
    return n

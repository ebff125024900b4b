"""Reading the ledger back: usage reports and traces, always within the caller's scope.

Synchronous; the servicer runs them through :class:`~gate_service.ledger.reads.ReadGate`.
Every statement starts from :func:`scope_terms`, the one place that turns a
:class:`LedgerScope` into ``WHERE`` terms, so no query can forget the tenancy condition.

How a usage report is computed, and what it costs:

- The hours wholly inside the window come from ``usage_rollup`` (:mod:`.rollups`): one row
  per hour and group, whatever the traffic; a daily report reads its whole days from
  ``usage_rollup_day`` instead. The rows are summed into every breakdown at once
  (:mod:`.breakdowns`, numpy): a month of the largest brand is ~16k rows.
- An hour the window cuts (its edges, unless they fall on the hour) is taken from the raw
  rows, from whichever side of the cut holds fewer of them: the rows inside the window, or
  the hour's rollup minus the rows outside it. A window ending now has nothing after its
  end, so it costs nothing; in the worst case an edge reads half an hour of the scope's
  traffic. Rollups and raw rows are read by one statement, hence from one snapshot, and the
  writer keeps them in one transaction: the report is exact for counts and sums.
- Percentiles come from the rollups' latency histograms (and the edge rows' latencies in
  the same buckets): within 1 % of ``percentile_cont`` over the raw values, the same
  numbers on SQLite and PostgreSQL (:mod:`.histogram`).

Measured at a million rows: see docs/ledger.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Float,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    type_coerce,
    union_all,
)
from sqlalchemy import select as sql_select

from gate_service.ledger import breakdowns
from gate_service.ledger.breakdowns import numbered
from gate_service.ledger.record import RequestRecord
from gate_service.ledger.rollups import CHAIN_SEPARATOR, DAY_ROLLUPS, ROLLUPS
from gate_service.ledger.rows import REQUEST_ID_LENGTH, REQUESTS, record_from_row
from gate_service.ledger.timeutil import HOUR, TICK, hour_of, utc
from gate_service.ledger.views import (
    LedgerScope,
    TimeWindow,
    TracePage,
    TraceQuery,
    UsageBucket,
    UsageGroup,
    UsageMetrics,
    UsageQuery,
    UsageReport,
)
from gate_service.storage.database import Database

R = REQUESTS.c
U = ROLLUPS.c
D = DAY_ROLLUPS.c
DAY = timedelta(days=1)
DIMENSIONS = ("model", "provider", "alias", "agent", "kind")
_DIMENSION_COLUMNS = ("served_model", "provider", "alias", "agent_name", "kind")
_SUMS = (
    "requests",
    "errors",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "cache_hits",
    "fallbacks",
)
# Counting the raw rows on either side of a cut stops here: past it, a side is "large".
_EDGE_COUNT_CAP = 5_000


def scope_terms(table: Any, scope: LedgerScope) -> list[ColumnElement[bool]]:
    """The tenancy terms every ledger query starts from (``request_log`` or ``usage_rollup``);
    none for the operator's scope (every brand)."""
    terms = [] if scope.client_id is None else [table.client_id == scope.client_id]
    if scope.token_id is not None:
        terms.append(table.token_id == scope.token_id)
    return terms


def _kind_terms(table: Any, kind: str | None) -> list[ColumnElement[bool]]:
    """A kind filter, over ``request_log`` or ``usage_rollup`` (both have the column)."""
    return [] if kind is None else [table.kind == kind]


def scoped(scope: LedgerScope, window: TimeWindow) -> list[ColumnElement[bool]]:
    """Tenancy and time terms over ``request_log``."""
    return [
        *scope_terms(R, scope),
        R.created_at >= utc(window.start),
        R.created_at <= utc(window.end),
    ]


# ---------------------------------------------------------------------------- usage


@dataclass(frozen=True, slots=True)
class _Plan:
    """Where each part of a window is read from."""

    rollup_hours: frozenset[datetime]  # whole hours, and cut hours taken "rollup minus"
    first_hour: datetime
    last_hour: datetime
    raw: tuple[tuple[datetime, datetime], ...]  # [from, to) ranges of raw rows to read
    start: datetime
    end: datetime
    # [from, to) of the days whose 24 hours are all rollup hours, read from the day
    # rollups (daily reports only); empty when from == to.
    days: tuple[datetime, datetime]


def _cut_hours(start: datetime, end: datetime) -> list[datetime]:
    first, last = hour_of(start), hour_of(end)
    cut = []
    if start > first:
        cut.append(first)
    if end + TICK < last + HOUR and last not in cut:
        cut.append(last)
    return cut


def _count(conn: Connection, query: UsageQuery, ranges: list[tuple[datetime, datetime]]) -> int:
    if not ranges:
        return 0
    inside = or_(*(and_(R.created_at >= a, R.created_at < b) for a, b in ranges))
    terms = [*scope_terms(R, query.scope), *_kind_terms(R, query.kind), inside]
    capped = sql_select(literal(1)).where(*terms).limit(_EDGE_COUNT_CAP)
    return int(conn.execute(sql_select(func.count()).select_from(capped.subquery())).scalar_one())


def _from_inside(n_outside: int, n_inside: int, span_inside: timedelta) -> bool:
    """Whether a cut hour is read from its rows inside the window (else as its rollup minus
    its rows outside): the side with fewer rows, or when both reach the counting cap, the
    shorter stretch of time."""
    if n_outside == n_inside == _EDGE_COUNT_CAP:
        return span_inside * 2 <= HOUR
    return n_inside < n_outside


def _plan(conn: Connection, query: UsageQuery) -> _Plan:
    start, end = utc(query.window.start), utc(query.window.end)
    first, last = hour_of(start), hour_of(end)
    cut = _cut_hours(start, end)
    hours = set()
    hour = first
    while hour <= last:
        if hour not in cut:
            hours.add(hour)
        hour += HOUR
    raw: list[tuple[datetime, datetime]] = []
    for hour in cut:
        inside = [(max(start, hour), min(end + TICK, hour + HOUR))]
        outside = [(a, b) for a, b in ((hour, start), (end + TICK, hour + HOUR)) if a < b]
        span_in = sum((b - a for a, b in inside), timedelta())
        subtract = not _from_inside(
            _count(conn, query, outside), _count(conn, query, inside), span_in
        )
        if subtract:
            hours.add(hour)
            raw += outside
        else:
            raw += inside
    days = _whole_days(hours, first, last) if query.bucket == "day" else (first, first)
    return _Plan(frozenset(hours), first, last, tuple(raw), start, end, days)


def _whole_days(hours: set[datetime], first: datetime, last: datetime) -> tuple[datetime, datetime]:
    """The run of days between ``first`` and ``last`` every hour of which is read from the
    rollups: those days' sums are the day rollups'."""
    lo = first.replace(hour=0)
    if lo < first or any(lo + i * HOUR not in hours for i in range(24)):
        lo += DAY
    hi = last.replace(hour=0)
    if all(hi + i * HOUR in hours for i in range(24)):
        hi += DAY
    return (lo, hi) if lo < hi else (first, first)


def _rollup_part(table: Any, at: Any, query: UsageQuery, *terms: Any) -> Select[Any]:
    """A rollup table's rows of the report; its histogram as its pairs' text (without
    the brackets: the report decodes them all at once)."""
    return sql_select(
        literal("rollup").label("source"),
        type_coerce(at, DateTime()).label("at"),  # no per-row tz step
        *(table[name] for name in _DIMENSION_COLUMNS),
        *(table[name] for name in _SUMS),
        table.cost_usd,
        func.substr(table.latency, 2, func.length(table.latency) - 2).label("pairs"),
        cast(null(), Float).label("latency_ms"),
    ).where(*scope_terms(table, query.scope), *_kind_terms(table, query.kind), *terms)


def _statement(query: UsageQuery, plan: _Plan) -> Select[Any]:
    """The plan's rollups (hourly, and whole days from the day rollups) and raw rows, in
    one statement (one snapshot)."""
    lo, hi = plan.days
    hourly = [U.hour >= plan.first_hour, U.hour <= plan.last_hour]
    if lo < hi:
        hourly.append(or_(U.hour < lo, U.hour >= hi))
    # A cut hour read from its rows inside the window has its rollup left out.
    for hour in _cut_hours(plan.start, plan.end):
        if hour not in plan.rollup_hours:
            hourly.append(or_(U.hour < hour, U.hour >= hour + HOUR))
    parts = [_rollup_part(U, U.hour, query, *hourly)]
    if lo < hi:
        parts.append(_rollup_part(D, D.day, query, D.day >= lo, D.day < hi))
    if plan.raw:
        parts.append(
            sql_select(
                literal("raw").label("source"),
                type_coerce(R.created_at, DateTime()).label("at"),  # no per-row tz step
                *(R[name] for name in _DIMENSION_COLUMNS),
                literal(1).label("requests"),
                case((R.status >= 400, 1), else_=0).label("errors"),
                *(R[name] for name in _SUMS[2:6]),
                case((R.cache_hit, 1), else_=0).label("cache_hits"),
                case((R.fallback_chain.like(f"%{CHAIN_SEPARATOR}%"), 1), else_=0).label(
                    "fallbacks"
                ),
                R.cost_usd,
                cast(null(), String).label("pairs"),
                # Only a success's latency is in the histograms.
                case((R.status < 400, R.latency_ms), else_=null()).label("latency_ms"),
            ).where(
                *scope_terms(R, query.scope),
                *_kind_terms(R, query.kind),
                or_(*(and_(R.created_at >= a, R.created_at < b) for a, b in plan.raw)),
            )
        )
    return parts[0] if len(parts) == 1 else union_all(*parts)  # type: ignore[return-value]


def _fetch(conn: Connection, stmt: Select[Any]) -> Sequence[Sequence[Any]]:
    """The statement's rows as the driver's tuples. On PostgreSQL the statement goes to
    psycopg directly: SQLAlchemy's rows (and taking them apart again) were a quarter of
    a month's report (its columns need no conversion: times are ``type_coerce``d). On
    SQLite, SQLAlchemy's rows, whose stored times it parses."""
    if conn.dialect.name != "postgresql":
        return conn.execute(stmt).all()
    compiled = stmt.compile(dialect=conn.dialect)
    with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(str(compiled), compiled.params)
        return cursor.fetchall()


def usage(db: Database, query: UsageQuery) -> UsageReport:
    """Totals and breakdowns of the scope's requests in the window (and with ``compare``,
    of the window of equal length just before, under ``comparison``)."""
    report = _usage(db, query)
    if not query.compare:
        return report
    before = replace(query, window=query.window.preceding(), compare=False)
    return replace(report, comparison=_usage(db, before))


def _usage(db: Database, query: UsageQuery) -> UsageReport:
    with db.engine.connect() as conn:
        plan = _plan(conn, query)
        rows = _fetch(conn, _statement(query, plan))
    # Column by column (:mod:`.breakdowns`): Python touches each value a few times, in
    # comprehensions; each stored time is converted once.
    columns = list(zip(*rows, strict=True)) if rows else [()] * 18
    source, stored = columns[0], columns[1]
    by_hour = query.bucket == "hour"
    times: dict[Any, tuple[datetime, datetime]] = {}  # as read -> (UTC, report bucket)
    for value in set(stored):
        at = utc(value)
        bucket = hour_of(at) if by_hour else at.replace(hour=0, minute=0, second=0)
        times[value] = (at, bucket.replace(microsecond=0))
    # A raw row outside the window is taken away from its cut hour's rollup.
    sign = [
        -1 if s == "raw" and not plan.start <= times[t][0] <= plan.end else 1
        for s, t in zip(source, stored, strict=True)
    ]
    sums = breakdowns.Rows(columns[7:15], columns[15], columns[16], columns[17], sign)

    def groups(position: int) -> tuple[UsageGroup, ...]:
        found = [UsageGroup(k, m) for k, m in sums.by(*numbered(columns[position])).items()]
        found.sort(key=lambda g: (-g.metrics.requests, g.key is None, g.key or ""))
        return tuple(found)

    total = sums.by(np.zeros(len(rows), dtype=np.int64), [None])
    by_bucket = sums.by(*numbered([times[t][1] for t in stored]))
    return UsageReport(
        window=query.window,
        bucket=query.bucket,
        totals=total.get(None, UsageMetrics()),
        by_model=groups(2),
        by_provider=groups(3),
        by_alias=groups(4),
        by_agent=groups(5),
        by_bucket=tuple(UsageBucket(t, m) for t, m in sorted(by_bucket.items())),
        by_kind=groups(6),
    )


# ---------------------------------------------------------------------------- traces


# Every column but the attempts, which only one trace shows.
_LIST_COLUMNS = [c for c in REQUESTS.columns if c.name != "attempts"]


def trace_filters(query: TraceQuery) -> list[ColumnElement[bool]]:
    terms = scoped(query.scope, query.window)
    if query.agent is not None:
        terms.append(R.agent_name == query.agent)
    if query.model is not None:
        m = query.model
        terms.append(or_(R.requested_model == m, R.served_model == m, R.alias == m))
    if query.status_class == "success":
        terms.append(R.status < 400)
    elif query.status_class == "error":
        terms.append(R.status >= 400)
    if query.status is not None:
        terms.append(R.status == query.status)
    if query.min_latency_ms is not None:
        terms.append(R.latency_ms >= query.min_latency_ms)
    if query.min_cost_usd is not None:
        terms.append(R.cost_usd >= query.min_cost_usd)
    terms += _kind_terms(R, query.kind)
    return terms


def rollup_filters(query: TraceQuery) -> list[ColumnElement[bool]]:
    """The trace filters as rollup terms: an hour without a matching rollup has no match."""
    terms = []
    if query.agent is not None:
        terms.append(U.agent_name == query.agent)
    if query.model is not None:
        m = query.model
        terms.append(or_(U.requested_model == m, U.served_model == m, U.alias == m))
    wants_errors = query.status_class == "error" or (query.status or 0) >= 400
    wants_successes = query.status_class == "success" or 0 < (query.status or 0) < 400
    if wants_errors:
        terms.append(U.errors > 0)
    if wants_successes:
        terms.append(U.requests > U.errors)
    terms += _kind_terms(U, query.kind)
    return terms


def _spans(hours: list[datetime]) -> list[tuple[datetime, datetime]]:
    """Newest-first hours as ``[from, to)`` spans of consecutive hours."""
    spans: list[tuple[datetime, datetime]] = []
    for hour in hours:
        if spans and spans[-1][0] == hour + HOUR:
            spans[-1] = (hour, spans[-1][1])
        else:
            spans.append((hour, hour + HOUR))
    return spans


def list_traces(db: Database, query: TraceQuery) -> TracePage:
    """A page of the scope's requests, newest first (without their attempts).

    Unfiltered, one index range scan from the newest row. With filters, a rare match
    would make that scan read the whole window (3.4 s for a status that never occurs in
    352k rows), so the rollups first say which hours hold a match, and only those hours
    are read, newest first, until the page is full."""
    need = query.offset + query.limit + 1
    page = sql_select(*_LIST_COLUMNS).order_by(R.created_at.desc(), R.id.desc())
    hints = rollup_filters(query)
    with db.engine.connect() as conn:
        if not hints:
            stmt = page.where(*trace_filters(query)).limit(need)
            rows = list(conn.execute(stmt).all())
        else:
            start, end = utc(query.window.start), utc(query.window.end)
            hours = conn.execute(
                sql_select(U.hour)
                .where(*scope_terms(U, query.scope), U.hour >= hour_of(start), U.hour <= end)
                .where(*hints)
                .group_by(U.hour)
                .order_by(U.hour.desc())
            ).scalars()
            rows = []
            for lo, hi in _spans([hour_of(h) for h in hours]):
                stmt = page.where(*trace_filters(query), R.created_at >= lo, R.created_at < hi)
                rows += conn.execute(stmt.limit(need - len(rows))).all()
                if len(rows) >= need:
                    break
    rows = rows[query.offset :]
    traces = tuple(record_from_row(row) for row in rows[: query.limit])
    return TracePage(traces, has_more=len(rows) > query.limit)


def get_trace(db: Database, scope: LedgerScope, trace_id: str) -> RequestRecord | None:
    """One request of the scope with its attempts; None when absent *or* out of scope
    (the caller answers both the same way)."""
    # Ids are stored cut to the column's length; look up the id the client saw the same way.
    terms = [R.id == trace_id[:REQUEST_ID_LENGTH], *scope_terms(R, scope)]
    with db.engine.connect() as conn:
        row = conn.execute(sql_select(REQUESTS).where(*terms)).first()
    return None if row is None else record_from_row(row)

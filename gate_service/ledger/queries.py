"""Reading the ledger back: usage reports and traces, always within the caller's scope.

Synchronous; the servicer runs them through :class:`~gate_service.ledger.reads.ReadGate`.
Every statement starts from :func:`scope_terms`, the one place that turns a
:class:`LedgerScope` into ``WHERE`` terms, so no query can forget the tenancy condition.

How a usage report is computed, and what it costs:

- The hours wholly inside the window come from ``usage_rollup`` (:mod:`.rollups`): one row
  per hour and group, whatever the traffic. A 30-day report reads 720 × groups rows.
- An hour the window cuts (its edges, unless they fall on the hour) is taken from the raw
  rows, from whichever side of the cut holds fewer of them: the rows inside the window, or
  the hour's rollup minus the rows outside it. A window ending now has nothing after its
  end, so it costs nothing; in the worst case an edge reads half an hour of the scope's
  traffic. Rollups and raw rows are read by one statement, hence from one snapshot, and the
  writer keeps them in one transaction: the report is exact for counts and sums.
- Percentiles come from the rollups' latency histograms (and the edge rows' latencies in
  the same buckets): within 1 % of ``percentile_cont`` over the raw values, the same
  numbers on SQLite and PostgreSQL (:mod:`.histogram`).

Measured on a 300k-row SQLite ledger: see docs/ledger.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

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
    false,
    func,
    literal,
    null,
    or_,
    type_coerce,
    union_all,
)
from sqlalchemy import select as sql_select

from gate_service.ledger import histogram
from gate_service.ledger.record import RequestRecord
from gate_service.ledger.rollups import DAY_ROLLUPS, ROLLUPS, Tally
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
# The breakdown dimensions and the columns they read.
DIMENSIONS = ("model", "provider", "alias", "agent", "kind")
_DIMENSION_COLUMNS = ("served_model", "provider", "alias", "agent_name", "kind")
_COST_DIGITS = 9
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


def _statement(query: UsageQuery, plan: _Plan) -> Select[Any]:
    """Rollups of the plan's hours and its raw rows, in one statement (one snapshot)."""
    scope = query.scope
    rollups = sql_select(
        literal("rollup").label("source"),
        type_coerce(U.hour, DateTime()).label("at"),  # no per-row tz step
        U.served_model,
        U.provider,
        U.alias,
        U.agent_name,
        U.kind,
        U.requests,
        U.errors,
        U.prompt_tokens,
        U.completion_tokens,
        U.cached_tokens,
        U.reasoning_tokens,
        U.cost_usd,
        U.latency,
        cast(null(), Float).label("latency_ms"),
        literal(0).label("status"),
    )
    lo, hi = plan.days
    hourly = and_(U.hour >= plan.first_hour, U.hour <= plan.last_hour)
    if lo < hi:
        hourly = and_(hourly, or_(U.hour < lo, U.hour >= hi))
    rollups = rollups.where(*scope_terms(U, scope), *_kind_terms(U, query.kind), hourly)
    parts: list[Select[Any]] = [rollups]
    if lo < hi:
        parts.append(
            sql_select(
                literal("day").label("source"),
                type_coerce(D.day, DateTime()).label("at"),  # no per-row tz step
                D.served_model,
                D.provider,
                D.alias,
                D.agent_name,
                D.kind,
                D.requests,
                D.errors,
                D.prompt_tokens,
                D.completion_tokens,
                D.cached_tokens,
                D.reasoning_tokens,
                D.cost_usd,
                D.latency,
                cast(null(), Float).label("latency_ms"),
                literal(0).label("status"),
            ).where(*scope_terms(D, scope), *_kind_terms(D, query.kind), D.day >= lo, D.day < hi)
        )
    if not plan.raw:
        return parts[0] if len(parts) == 1 else union_all(*parts)  # type: ignore[return-value]
    raw = sql_select(
        literal("raw").label("source"),
        type_coerce(R.created_at, DateTime()).label("at"),  # no per-row tz step
        R.served_model,
        R.provider,
        R.alias,
        R.agent_name,
        R.kind,
        literal(1).label("requests"),
        case((R.status >= 400, 1), else_=0).label("errors"),
        R.prompt_tokens,
        R.completion_tokens,
        R.cached_tokens,
        R.reasoning_tokens,
        R.cost_usd,
        cast(null(), String).label("latency"),
        R.latency_ms,
        R.status,
    ).where(
        *scope_terms(R, scope),
        *_kind_terms(R, query.kind),
        or_(false(), *(and_(R.created_at >= a, R.created_at < b) for a, b in plan.raw)),
    )
    return union_all(*parts, raw)  # type: ignore[return-value]


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
        rows = conn.execute(_statement(query, plan)).all()
    # The finest grain first (groups × report buckets), then the breakdowns from it. The
    # rows are read by position and each stored time converted once: a month's report
    # adds ~16k rows, and per-row overhead was half its time.
    fine: dict[tuple[Any, ...], Tally] = {}
    times: dict[Any, tuple[datetime, datetime]] = {}  # as read -> (UTC, report bucket)
    by_hour = query.bucket == "hour"
    for row in rows:
        source, stored = row[0], row[1]
        known = times.get(stored)
        if known is None:
            at = utc(stored)
            bucket = hour_of(at) if by_hour else at.replace(hour=0, minute=0, second=0)
            known = times[stored] = (at, bucket.replace(microsecond=0))
        at, bucket = known
        if source == "rollup" and at not in plan.rollup_hours:
            continue
        keys = (row[2], row[3], row[4], row[5], row[6], bucket)
        acc = fine.get(keys)
        if acc is None:
            acc = fine[keys] = Tally()
        if source == "raw":
            acc.count(row._mapping, 1 if plan.start <= at <= plan.end else -1)
        else:  # an hourly or day rollup, added in place (no intermediate tally)
            acc.requests += row[7]
            acc.errors += row[8]
            acc.prompt_tokens += row[9]
            acc.completion_tokens += row[10]
            acc.cached_tokens += row[11]
            acc.reasoning_tokens += row[12]
            acc.cost_usd += row[13]
            histogram.add_encoded(acc.latency, row[14])
    sums = _roll_up({keys: acc for keys, acc in fine.items() if acc.requests > 0})

    metrics: dict[int, UsageMetrics] = {}  # computed once per tally, however often shared

    def of(acc: Tally) -> UsageMetrics:
        if id(acc) not in metrics:
            metrics[id(acc)] = _metrics(acc)
        return metrics[id(acc)]

    def groups(dim: str) -> tuple[UsageGroup, ...]:
        found = [UsageGroup(key, of(acc)) for (d, key), acc in sums.items() if d == dim]
        found.sort(key=lambda g: (-g.metrics.requests, g.key is None, g.key or ""))
        return tuple(found)

    buckets = sorted(
        (UsageBucket(key, of(acc)) for (d, key), acc in sums.items() if d == "bucket"),
        key=lambda b: b.start,
    )
    return UsageReport(
        window=query.window,
        bucket=query.bucket,
        totals=of(sums["total", None]),
        by_model=groups("model"),
        by_provider=groups("provider"),
        by_alias=groups("alias"),
        by_agent=groups("agent"),
        by_bucket=tuple(buckets),
        by_kind=groups("kind"),
    )


def _roll_up(fine: dict[tuple[Any, ...], Tally]) -> dict[tuple[str, Any], Tally]:
    """The total and every breakdown from the finest groups (dimensions × bucket). Merging
    histograms is what a report spends its time on, so the finest groups are merged twice
    only: by bucket, and by everything but the bucket; the total and the other breakdowns
    come from the latter's far fewer groups. A value shared by every group is the total,
    one held by a single group is that group."""
    coarse = _grouped(fine, lambda keys: keys[:-1])
    buckets = _grouped(fine, lambda keys: keys[-1])
    total = _merged(list(coarse.values()))
    out: dict[tuple[str, Any], Tally] = {("total", None): total}
    for value, acc in buckets.items():
        out["bucket", value] = total if len(buckets) == 1 else acc
    for i, dim in enumerate(DIMENSIONS):
        members: dict[Any, list[Tally]] = defaultdict(list)
        for keys, acc in coarse.items():
            members[keys[i]].append(acc)
        for value, accs in members.items():
            out[dim, value] = total if len(accs) == len(coarse) else _merged(accs)
    return out


def _grouped(
    fine: dict[tuple[Any, ...], Tally], key: Callable[[tuple[Any, ...]], Any]
) -> dict[Any, Tally]:
    members: dict[Any, list[Tally]] = defaultdict(list)
    for keys, acc in fine.items():
        members[key(keys)].append(acc)
    return {value: _merged(accs) for value, accs in members.items()}


def _merged(accs: list[Tally]) -> Tally:
    if len(accs) == 1:
        return accs[0]
    out = Tally()
    for acc in accs:
        out.add(acc)
    return out


def _metrics(acc: Tally) -> UsageMetrics:
    p50, p95, p99 = histogram.percentiles(acc.latency) or (None, None, None)
    return UsageMetrics(
        requests=acc.requests,
        errors=acc.errors,
        prompt_tokens=acc.prompt_tokens,
        completion_tokens=acc.completion_tokens,
        cached_tokens=acc.cached_tokens,
        reasoning_tokens=acc.reasoning_tokens,
        cost_usd=round(acc.cost_usd, _COST_DIGITS),
        latency_p50_ms=p50,
        latency_p95_ms=p95,
        latency_p99_ms=p99,
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

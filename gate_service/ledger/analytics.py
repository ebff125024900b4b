"""The analytics routes' ledger reads: trace statistics, the overview, the model flow and
each provider's load. Synchronous, within the caller's scope (:func:`.queries.scope_terms`),
run through the read gate like every ledger read.

What each costs (figures at 1,000,000 rows: docs/ledger.md):

- ``trace_stats`` reads the raw rows the filter matches (a filter may be on latency or
  cost, which no rollup keeps) through the ``(client_id, created_at)`` index, with the
  columns it sums in the index itself (migration 0009), so no table page is read.
- ``stats`` sums rollups in SQL (day rollups for the whole days, hourly ones around them,
  and the raw rows of the hours the window cuts): exact.
- ``flow`` sums rollups only: its window is whole hours.
- ``provider_loads`` counts attempts: a request served at its first attempt *is* that
  attempt (summed in SQL); only the rows with a fallback chain have their attempts read.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Integer, Select, and_, case, cast, func, literal, or_, union_all
from sqlalchemy import select as sql_select

from gate_service.ledger import queries
from gate_service.ledger.analytics_views import (
    Flow,
    FlowQuery,
    FlowRow,
    ProviderLoad,
    Stats,
    TraceStats,
)
from gate_service.ledger.rollups import DAY_ROLLUPS, ROLLUPS
from gate_service.ledger.rows import REQUESTS
from gate_service.ledger.timeutil import HOUR, TICK, hour_of, utc
from gate_service.ledger.views import LedgerScope, TimeWindow, TraceQuery
from gate_service.storage.database import Database

R = REQUESTS.c
U = ROLLUPS.c
D = DAY_ROLLUPS.c
DAY = timedelta(days=1)
_COST_DIGITS = 9
_P95 = 0.95


def trace_stats(db: Database, query: TraceQuery) -> TraceStats:
    """Count, successes, errors, cost and the p95 latency of the successes (nearest rank
    over the raw values) of the requests ``query``'s filters match (paging ignored)."""
    terms = queries.trace_filters(query)
    ok = case((R.status < 400, 1), else_=0)
    totals = sql_select(
        func.count(), func.coalesce(func.sum(ok), 0), func.coalesce(func.sum(R.cost_usd), 0.0)
    ).where(*terms)
    with db.engine.connect() as conn:
        count, successes, cost = conn.execute(totals).one()
        p95 = None
        if successes:
            rank = math.ceil(_P95 * successes) - 1
            p95 = conn.execute(
                sql_select(R.latency_ms)
                .where(*terms, R.status < 400)
                .order_by(R.latency_ms)
                .offset(rank)
                .limit(1)
            ).scalar_one_or_none()
    return TraceStats(
        window=query.window,
        count=int(count),
        success_count=int(successes),
        error_count=int(count) - int(successes),
        latency_p95_ms=None if p95 is None else float(p95),
        cost_usd=round(float(cost), _COST_DIGITS),
    )


def _rollup_sums(
    table: Any, at: Any, scope: LedgerScope, lo: datetime, hi: datetime
) -> Select[Any]:
    return sql_select(
        table.agent_name.label("agent"),
        table.requests.label("requests"),
        table.errors.label("errors"),
        table.cost_usd.label("cost"),
    ).where(*queries.scope_terms(table, scope), at >= lo, at < hi)


def stats(db: Database, scope: LedgerScope, window: TimeWindow) -> Stats:
    """The overview, exact: the rollups of the days and hours wholly inside the window and
    the raw rows of the (at most two) hours it cuts, summed by agent in SQL. No latency, hence
    no histogram to merge: at 1M rows this is ~20x cheaper than the usage report."""
    start, end = utc(window.start), utc(window.end)
    first = hour_of(start) if hour_of(start) == start else hour_of(start) + HOUR
    after = hour_of(end + TICK)  # whole hours end here; [after, end] is raw
    parts = []
    if first < after:
        # Whole days from the day rollups, the hours around them from the hourly ones.
        day_lo = first if first.hour == 0 else first.replace(hour=0) + DAY
        day_hi = after.replace(hour=0)
        spans = [(first, after)]
        if day_lo < day_hi:
            parts.append(_rollup_sums(D, D.day, scope, day_lo, day_hi))
            spans = [(first, day_lo), (day_hi, after)]
        parts += [_rollup_sums(U, U.hour, scope, lo, hi) for lo, hi in spans if lo < hi]
        raw = or_(
            and_(R.created_at >= start, R.created_at < first),
            and_(R.created_at >= after, R.created_at <= end),
        )
    else:  # the window lies within one hour (or two adjacent cut ones)
        raw = and_(R.created_at >= start, R.created_at <= end)
    parts.append(
        sql_select(
            R.agent_name.label("agent"),
            literal(1).label("requests"),
            case((R.status >= 400, 1), else_=0).label("errors"),
            R.cost_usd.label("cost"),
        ).where(*queries.scope_terms(R, scope), raw)
    )
    both = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    stmt = sql_select(
        both.c.agent, func.sum(both.c.requests), func.sum(both.c.errors), func.sum(both.c.cost)
    ).group_by(both.c.agent)
    with db.engine.connect() as conn:
        found = conn.execute(stmt).all()
    return Stats(
        window=window,
        active_agents=sum(1 for agent, n, _, _ in found if agent is not None and n),
        requests=sum(int(n) for _, n, _, _ in found),
        errors=sum(int(e) for _, _, e, _ in found),
        cost_usd=round(sum(float(c) for _, _, _, c in found), _COST_DIGITS),
    )


def flow_window(days: int, now: datetime) -> TimeWindow:
    """The whole hours of the last ``days`` days, to ``now``."""
    return TimeWindow(hour_of(utc(now) - timedelta(days=days)), utc(now))


def flow(db: Database, query: FlowQuery, now: datetime) -> Flow:
    """Requested → served model and provider, largest first, from the rollups."""
    window = flow_window(query.days, now)
    requests = func.sum(U.requests)
    stmt = (
        sql_select(
            U.requested_model,
            U.served_model,
            U.provider,
            requests,
            func.sum(U.errors),
            func.sum(U.cost_usd),
        )
        .where(*queries.scope_terms(U, query.scope), U.hour >= window.start)
        .group_by(U.requested_model, U.served_model, U.provider)
        .order_by(requests.desc(), U.requested_model, U.served_model, U.provider)
        .limit(query.limit + 1)
    )
    with db.engine.connect() as conn:
        found = conn.execute(stmt).all()
    rows = tuple(
        FlowRow(r[0], r[1], r[2], int(r[3]), int(r[4]), round(float(r[5]), _COST_DIGITS))
        for r in found[: query.limit]
    )
    return Flow(window, rows, truncated=len(found) > query.limit)


def provider_loads(db: Database, scope: LedgerScope, window: TimeWindow) -> dict[str, ProviderLoad]:
    """Attempts, errors and 429s per provider in the window, every attempt counted: a
    request without a fallback chain had one attempt, at its provider, answered with its
    status; the others' attempts are read from their ``attempts``."""
    base = queries.scoped(scope, window)
    single = (
        sql_select(
            R.provider,
            func.count(),
            func.sum(cast(R.status >= 400, Integer)),
            func.sum(cast(R.status == 429, Integer)),
        )
        .where(*base, R.fallback_chain == "[]", R.provider.is_not(None))
        .group_by(R.provider)
    )
    chained = sql_select(R.attempts).where(*base, R.fallback_chain != "[]")
    loads: dict[str, ProviderLoad] = {}
    with db.engine.connect() as conn:
        for provider, n, errors, limited in conn.execute(single):
            loads[provider] = ProviderLoad(provider, int(n), int(errors or 0), int(limited or 0))
        counts: dict[str, list[int]] = {}
        for (text,) in conn.execute(chained.execution_options(yield_per=5_000)):
            for attempt in orjson.loads(text or "[]"):
                if attempt.get("outcome") == "skipped":  # never sent: no load
                    continue
                status = int(attempt.get("status") or 0)
                c = counts.setdefault(str(attempt.get("provider", "")), [0, 0, 0])
                c[0] += 1
                c[1] += status >= 400
                c[2] += status == 429
    for provider, (n, errors, limited) in counts.items():
        was = loads.get(provider, ProviderLoad(provider))
        loads[provider] = ProviderLoad(
            provider, was.attempts + n, was.errors + errors, was.rate_limited + limited
        )
    return loads

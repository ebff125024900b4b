"""Reading the ledger back: usage reports and traces, always within the caller's scope.

Synchronous; the servicer runs them in a thread. Every statement starts from
:func:`_scoped`, the one place that turns a :class:`LedgerScope` into ``WHERE`` terms, so
no query can forget the tenancy condition.

How a usage report is computed, and how far it scales:

- Counts and sums come from one ``GROUP BY`` at the finest grain (model, provider, alias,
  agent, time bucket), done by the database over the ``(client_id, created_at)`` or
  ``(token_id, created_at)`` index; the totals and the five breakdowns are rolled up from
  those few groups in Python. That is exact for counts and sums.
- Percentiles do not roll up. On PostgreSQL they are ``percentile_cont`` over ``GROUPING
  SETS`` in the same database pass. On SQLite (the embedded, single-node default) the
  successful requests' latencies are fetched and ranked in Python with the same
  definition (linear interpolation), so both backends give the same numbers. That costs
  about 40 bytes and a microsecond per request in the window: fine to about a million
  requests per report; past that, run on PostgreSQL (or add hourly rollups).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Select, and_, case, func, literal_column, or_
from sqlalchemy import select as sql_select

from gate_service.ledger.store import ATTEMPTS, REQUEST_ID_LENGTH, REQUESTS, utc
from gate_service.ledger.views import (
    Bucket,
    LedgerScope,
    TimeWindow,
    Trace,
    TraceAttempt,
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
A = ATTEMPTS.c
QUANTILES = (0.5, 0.95, 0.99)
# The breakdown dimensions, in the order of GROUPING(...)'s arguments below.
DIMENSIONS = ("model", "provider", "alias", "agent", "bucket")
COLUMN_DIMENSIONS = DIMENSIONS[:4]  # the ones that are plain columns
_COST_DIGITS = 9


def _scoped(scope: LedgerScope, window: TimeWindow) -> list[ColumnElement[bool]]:
    """The tenancy and time terms every ledger query starts from."""
    terms = [
        R.client_id == scope.client_id,
        R.created_at >= utc(window.start),
        R.created_at <= utc(window.end),
    ]
    if scope.token_id is not None:
        terms.append(R.token_id == scope.token_id)
    return terms


def _bucket_expr(dialect: str, bucket: Bucket) -> ColumnElement[Any]:
    """The start of a row's time bucket (UTC). Literals, not bound parameters: PostgreSQL
    must see the same expression in SELECT and GROUP BY."""
    if dialect == "postgresql":
        return func.date_trunc(literal_column(f"'{bucket}'"), R.created_at)
    pattern = "%Y-%m-%d %H:00:00" if bucket == "hour" else "%Y-%m-%d 00:00:00"
    return func.strftime(literal_column(f"'{pattern}'"), R.created_at)


def _bucket_start(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return utc(value)


# ---------------------------------------------------------------------------- usage


@dataclass(slots=True)
class _Sums:
    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, row: Any) -> None:
        self.requests += int(row.requests)
        self.errors += int(row.errors or 0)
        self.prompt_tokens += int(row.prompt_tokens or 0)
        self.completion_tokens += int(row.completion_tokens or 0)
        self.cached_tokens += int(row.cached_tokens or 0)
        self.reasoning_tokens += int(row.reasoning_tokens or 0)
        self.cost_usd += float(row.cost_usd or 0.0)

    def metrics(self, latency: tuple[float, ...] | None) -> UsageMetrics:
        p50, p95, p99 = latency or (None, None, None)
        return UsageMetrics(
            requests=self.requests,
            errors=self.errors,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cached_tokens=self.cached_tokens,
            reasoning_tokens=self.reasoning_tokens,
            cost_usd=round(self.cost_usd, _COST_DIGITS),
            latency_p50_ms=p50,
            latency_p95_ms=p95,
            latency_p99_ms=p99,
        )


# (dimension or "total", key) -> value
Keyed = dict[tuple[str, Any], Any]


def usage(db: Database, query: UsageQuery) -> UsageReport:
    """Totals and breakdowns of the scope's requests in the window."""
    bucket = _bucket_expr(db.dialect, query.bucket).label("bucket")
    terms = _scoped(query.scope, query.window)
    with db.engine.connect() as conn:
        sums = _sums(conn, terms, bucket)
        if db.dialect == "postgresql":
            latency = _percentiles_sql(conn, terms, bucket)
        else:
            latency = _percentiles_python(conn, terms, bucket)

    def groups(dim: str) -> tuple[UsageGroup, ...]:
        found = [
            UsageGroup(key, acc.metrics(latency.get((dim, key))))
            for (d, key), acc in sums.items()
            if d == dim
        ]
        found.sort(key=lambda g: (-g.metrics.requests, g.key is None, g.key or ""))
        return tuple(found)

    buckets = sorted(
        (
            UsageBucket(key, acc.metrics(latency.get(("bucket", key))))
            for (d, key), acc in sums.items()
            if d == "bucket"
        ),
        key=lambda b: b.start,
    )
    total = sums.get(("total", None), _Sums())
    return UsageReport(
        window=query.window,
        bucket=query.bucket,
        totals=total.metrics(latency.get(("total", None))),
        by_model=groups("model"),
        by_provider=groups("provider"),
        by_alias=groups("alias"),
        by_agent=groups("agent"),
        by_bucket=tuple(buckets),
    )


def _sums(
    conn: Connection, terms: list[ColumnElement[bool]], bucket: ColumnElement[Any]
) -> dict[tuple[str, Any], _Sums]:
    """Counts and sums at the finest grain, rolled up into every dimension."""
    dims = (R.served_model, R.provider, R.alias, R.agent_name, bucket)
    stmt = (
        sql_select(
            *dims,
            func.count().label("requests"),
            func.sum(case((R.status >= 400, 1), else_=0)).label("errors"),
            func.sum(R.prompt_tokens).label("prompt_tokens"),
            func.sum(R.completion_tokens).label("completion_tokens"),
            func.sum(R.cached_tokens).label("cached_tokens"),
            func.sum(R.reasoning_tokens).label("reasoning_tokens"),
            func.sum(R.cost_usd).label("cost_usd"),
        )
        .where(*terms)
        .group_by(*dims)
    )
    out: dict[tuple[str, Any], _Sums] = defaultdict(_Sums)
    for row in conn.execute(stmt):
        keys = (row.served_model, row.provider, row.alias, row.agent_name)
        out["total", None].add(row)
        for dim, key in zip(COLUMN_DIMENSIONS, keys, strict=True):
            out[dim, key].add(row)
        out["bucket", _bucket_start(row.bucket)].add(row)
    return out


def _percentiles_sql(
    conn: Connection, terms: list[ColumnElement[bool]], bucket: ColumnElement[Any]
) -> Keyed:
    """PostgreSQL: percentile_cont per dimension over GROUPING SETS, one pass."""
    dims = (R.served_model, R.provider, R.alias, R.agent_name, bucket)
    # GROUPING() sets bit (4 - i) when dims[i] is *not* part of the row's grouping set.
    masks = {31 ^ (1 << (4 - i)): name for i, name in enumerate(DIMENSIONS)}
    masks[31] = "total"
    stmt: Select[Any] = (
        sql_select(
            *dims,
            func.grouping(*dims).label("mask"),
            *(
                func.percentile_cont(q).within_group(R.latency_ms).label(f"p{i}")
                for i, q in enumerate(QUANTILES)
            ),
        )
        .where(*terms, R.status < 400)
        .group_by(func.grouping_sets(*dims, literal_column("()")))
    )
    out: Keyed = {}
    for row in conn.execute(stmt):
        if row.p0 is None:  # the grand total of no rows at all
            continue
        dim = masks[int(row.mask)]
        if dim == "total":
            key: Any = None
        elif dim == "bucket":
            key = _bucket_start(row.bucket)
        else:
            key = row[DIMENSIONS.index(dim)]
        out[dim, key] = tuple(round(float(getattr(row, f"p{i}")), 3) for i in range(3))
    return out


def _percentiles_python(
    conn: Connection, terms: list[ColumnElement[bool]], bucket: ColumnElement[Any]
) -> Keyed:
    """Other backends: fetch the latencies and rank them here (see the module docstring)."""
    stmt = sql_select(
        R.served_model, R.provider, R.alias, R.agent_name, bucket, R.latency_ms
    ).where(*terms, R.status < 400)
    samples: dict[tuple[str, Any], list[float]] = defaultdict(list)
    for row in conn.execute(stmt):
        latency = float(row.latency_ms)
        samples["total", None].append(latency)
        for dim, key in zip(COLUMN_DIMENSIONS, row[:4], strict=True):
            samples[dim, key].append(latency)
        samples["bucket", _bucket_start(row.bucket)].append(latency)
    return {key: percentiles(values) for key, values in samples.items()}


def percentiles(
    values: Iterable[float], quantiles: Sequence[float] = QUANTILES
) -> tuple[float, ...]:
    """Linear interpolation between closest ranks: PostgreSQL's ``percentile_cont``."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    out = []
    last = len(ordered) - 1
    for q in quantiles:
        pos = q * last
        lo, hi = math.floor(pos), math.ceil(pos)
        value = ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
        out.append(round(value, 3))
    return tuple(out)


# ---------------------------------------------------------------------------- traces


def _trace_filters(query: TraceQuery) -> list[ColumnElement[bool]]:
    terms = _scoped(query.scope, query.window)
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
    return terms


def list_traces(db: Database, query: TraceQuery) -> TracePage:
    """A page of the scope's requests, newest first (without their attempts)."""
    stmt = (
        sql_select(REQUESTS)
        .where(and_(*_trace_filters(query)))
        .order_by(R.created_at.desc(), R.id.desc())
        .limit(query.limit + 1)
        .offset(query.offset)
    )
    with db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    traces = tuple(_trace(row) for row in rows[: query.limit])
    return TracePage(traces, has_more=len(rows) > query.limit)


def get_trace(db: Database, scope: LedgerScope, trace_id: str) -> Trace | None:
    """One request of the scope with its attempts; None when absent *or* out of scope
    (the caller answers both the same way)."""
    # Ids are stored cut to the column's length; look up the id the client saw the same way.
    terms = [R.id == trace_id[:REQUEST_ID_LENGTH], R.client_id == scope.client_id]
    if scope.token_id is not None:
        terms.append(R.token_id == scope.token_id)
    with db.engine.connect() as conn:
        row = conn.execute(sql_select(REQUESTS).where(*terms)).first()
        if row is None:
            return None
        attempts = conn.execute(
            sql_select(ATTEMPTS).where(A.request_id == row.id).order_by(A.seq, A.id)
        ).all()
    return _trace(row, attempts)


def _trace(row: Any, attempts: Sequence[Any] = ()) -> Trace:
    chain = orjson.loads(row.fallback_chain or "[]")
    return Trace(
        id=row.id,
        created_at=utc(row.created_at),
        client_id=row.client_id,
        token_id=row.token_id,
        agent=row.agent_name,
        requested_model=row.requested_model,
        alias=row.alias,
        model=row.served_model,
        provider=row.provider,
        key_preview=row.key_preview,
        status=row.status,
        error_code=row.error_code,
        latency_ms=row.latency_ms,
        ttft_ms=row.ttft_ms,
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        cached_tokens=row.cached_tokens,
        reasoning_tokens=row.reasoning_tokens,
        cost_usd=row.cost_usd,
        streamed=bool(row.streamed),
        cache_hit=bool(row.cache_hit),
        fallback_chain=tuple(str(c) for c in chain) if isinstance(chain, list) else (),
        attempts=tuple(_attempt(a) for a in attempts),
    )


def _attempt(row: Any) -> TraceAttempt:
    return TraceAttempt(
        provider=row.provider,
        model=row.model,
        key=row.key_preview,
        outcome=row.outcome,
        status=row.status,
        latency_ms=row.latency_ms,
        error_code=row.error_code,
        error_message=row.error_message,
    )

"""The analytics routes: REST query → proto for the bridge, proto ⇄ domain for both sides.

REST query parameters: ``/traces/stats`` takes the filters of ``/traces`` (paging aside);
``/stats`` ``from`` / ``to``; ``/flow`` ``days`` (1-90, default 7) and ``limit`` (1-1000,
default 100); ``/capacity`` ``days`` and ``key_limit`` (1-500, default 50). A bad value is
a 400 ``invalid_request`` naming the parameter. On the wire times are unix milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from gate_service.errors import invalid
from gate_service.ledger.analytics_views import (
    DEFAULT_DAYS,
    DEFAULT_FLOW_LIMIT,
    DEFAULT_KEY_LIMIT,
    CapacityQuery,
    Flow,
    FlowQuery,
    FlowRow,
    Stats,
    TraceStats,
)
from gate_service.ledger.views import LedgerScope, TimeWindow, TraceQuery
from gate_service.proto_convert.usage import (
    _int_param,
    _opt,
    _window_from_proto,
    _window_to_proto,
    from_ms,
    to_ms,
    trace_query_from_proto,
    traces_request_from_query,
)
from gate_service.vault.capacity import Capacity
from spidergate.v1 import usage_pb2 as pb

_FILTERS = (
    "agent",
    "model",
    "status_class",
    "status_code",
    "start_time_ms",
    "end_time_ms",
    "kind",
    "min_latency_ms",
    "min_cost_usd",
)
_OPTIONAL = frozenset({"start_time_ms", "end_time_ms", "min_latency_ms", "min_cost_usd"})

# ------------------------------------------------------------------ REST query -> proto


def trace_stats_request_from_query(params: Mapping[str, str]) -> pb.GetTraceStatsRequest:
    """The filters of ``/traces``, read by its own parser (``limit``/``offset`` are not
    filters: ignored here as ``/usage`` ignores them)."""
    paged = {k: v for k, v in params.items() if k not in ("limit", "offset")}
    listing = traces_request_from_query(paged)
    message = pb.GetTraceStatsRequest()
    for name in _FILTERS:
        if name not in _OPTIONAL or listing.HasField(name):
            setattr(message, name, getattr(listing, name))
    return message


def stats_request_from_query(params: Mapping[str, str]) -> pb.GetStatsRequest:
    message = pb.GetStatsRequest()
    _window_to_proto(params, message)
    return message


def flow_request_from_query(params: Mapping[str, str]) -> pb.GetFlowRequest:
    message = pb.GetFlowRequest()
    _set_positive(params, message, "days", "limit")
    return message


def capacity_request_from_query(params: Mapping[str, str]) -> pb.GetCapacityRequest:
    message = pb.GetCapacityRequest()
    _set_positive(params, message, "days", "key_limit")
    return message


def _set_positive(params: Mapping[str, str], message: object, *names: str) -> None:
    """Integer parameters; 0 is "the default" on the wire, so over REST a range error."""
    for name in names:
        value = _int_param(params, name)
        if value is None:
            continue
        if value < 1:
            raise invalid(f"'{name}' must be at least 1", name)
        setattr(message, name, value)


# ------------------------------------------------------------------ proto -> domain queries


def trace_stats_query_from_proto(
    req: pb.GetTraceStatsRequest, scope: LedgerScope, now: datetime
) -> TraceQuery:
    listing = pb.ListTracesRequest()
    for name in _FILTERS:
        if name not in _OPTIONAL or req.HasField(name):
            setattr(listing, name, getattr(req, name))
    return trace_query_from_proto(listing, scope, now)


def stats_window_from_proto(req: pb.GetStatsRequest, now: datetime) -> TimeWindow:
    return _window_from_proto(req, now)


def flow_query_from_proto(req: pb.GetFlowRequest, scope: LedgerScope) -> FlowQuery:
    return FlowQuery(scope, req.days or DEFAULT_DAYS, req.limit or DEFAULT_FLOW_LIMIT)


def capacity_query_from_proto(req: pb.GetCapacityRequest, scope: LedgerScope) -> CapacityQuery:
    return CapacityQuery(scope, req.days or DEFAULT_DAYS, req.key_limit or DEFAULT_KEY_LIMIT)


# ------------------------------------------------------------------ domain <-> proto


def trace_stats_to_proto(s: TraceStats) -> pb.GetTraceStatsResponse:
    return pb.GetTraceStatsResponse(
        count=s.count,
        success_count=s.success_count,
        error_count=s.error_count,
        latency_p95_ms=s.latency_p95_ms,
        cost_usd=s.cost_usd,
        start_time_ms=to_ms(s.window.start),
        end_time_ms=to_ms(s.window.end),
    )


def trace_stats_from_proto(m: pb.GetTraceStatsResponse) -> TraceStats:
    return TraceStats(
        window=TimeWindow(from_ms(m.start_time_ms), from_ms(m.end_time_ms)),
        count=m.count,
        success_count=m.success_count,
        error_count=m.error_count,
        latency_p95_ms=_opt(m, "latency_p95_ms"),
        cost_usd=m.cost_usd,
    )


def stats_to_proto(s: Stats) -> pb.GetStatsResponse:
    return pb.GetStatsResponse(
        start_time_ms=to_ms(s.window.start),
        end_time_ms=to_ms(s.window.end),
        active_agents=s.active_agents,
        requests=s.requests,
        errors=s.errors,
        cost_usd=s.cost_usd,
    )


def stats_from_proto(m: pb.GetStatsResponse) -> Stats:
    return Stats(
        window=TimeWindow(from_ms(m.start_time_ms), from_ms(m.end_time_ms)),
        active_agents=m.active_agents,
        requests=m.requests,
        errors=m.errors,
        cost_usd=m.cost_usd,
    )


def flow_to_proto(f: Flow) -> pb.GetFlowResponse:
    return pb.GetFlowResponse(
        rows=[
            pb.FlowRow(
                requested_model=r.requested_model,
                served_model=r.served_model,
                provider=r.provider,
                requests=r.requests,
                errors=r.errors,
                cost_usd=r.cost_usd,
            )
            for r in f.rows
        ],
        truncated=f.truncated,
        start_time_ms=to_ms(f.window.start),
        end_time_ms=to_ms(f.window.end),
    )


def flow_from_proto(m: pb.GetFlowResponse) -> Flow:
    return Flow(
        window=TimeWindow(from_ms(m.start_time_ms), from_ms(m.end_time_ms)),
        rows=tuple(
            FlowRow(
                r.requested_model,
                _opt(r, "served_model"),
                _opt(r, "provider"),
                r.requests,
                r.errors,
                r.cost_usd,
            )
            for r in m.rows
        ),
        truncated=m.truncated,
    )


_CAPACITY_FIELDS = tuple(f.name for f in pb.ProviderCapacity.DESCRIPTOR.fields)


def capacity_to_proto(rows: list[Capacity], window: TimeWindow) -> pb.GetCapacityResponse:
    return pb.GetCapacityResponse(
        providers=[
            pb.ProviderCapacity(**{n: getattr(c, n) for n in _CAPACITY_FIELDS}) for c in rows
        ],
        start_time_ms=to_ms(window.start),
        end_time_ms=to_ms(window.end),
    )


def capacity_from_proto(m: pb.GetCapacityResponse) -> tuple[list[Capacity], TimeWindow]:
    rows = [
        Capacity(
            **{
                n: (_opt(p, n) if n in ("suggested_keys", "headroom_pct") else getattr(p, n))
                for n in _CAPACITY_FIELDS
            }
        )
        for p in m.providers
    ]
    return rows, TimeWindow(from_ms(m.start_time_ms), from_ms(m.end_time_ms))

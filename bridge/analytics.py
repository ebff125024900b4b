"""The analytics routes: ``GET /traces/stats``, ``/stats``, ``/flow`` and ``/capacity``.

As :mod:`bridge.usage`: the query becomes a gRPC request (or travels as is when the bridge
cannot type it, for the core to answer its 400 after the 401), the Authorization header
travels as metadata and the core decides whose rows the caller may read. The JSON shapes
are in :mod:`gate_service.ledger.analytics_json`.

This module sorts before :mod:`bridge.usage`, so ``/traces/stats`` is matched before
``/traces/{trace_id}`` would take ``stats`` for an id.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.openapi_operations import Op
from bridge.openapi_views import queries, usage_shapes
from bridge.query import read_query
from bridge.responses import call_metadata, reply
from gate_service.ledger.analytics_json import (
    capacity_to_json,
    flow_to_json,
    stats_to_json,
    trace_stats_to_json,
)
from gate_service.proto_convert import analytics as convert
from spidergate.v1 import usage_pb2 as pb

_TIMEOUT_S = 30.0


def _usage(request: Request) -> Any:
    """The core's usage service (a stub, or its stand-in over several cores)."""
    return request.app.state.core.usage


async def trace_stats(request: Request) -> Response:
    message = read_query(
        request,
        convert.trace_stats_request_from_query,
        lambda raw: pb.GetTraceStatsRequest(raw_query=raw),
    )
    answer = await _usage(request).GetTraceStats(
        message, metadata=call_metadata(request), timeout=_TIMEOUT_S
    )
    return reply(
        request, trace_stats_to_json(convert.trace_stats_from_proto(answer)), answer.headers
    )


async def stats(request: Request) -> Response:
    message = read_query(
        request, convert.stats_request_from_query, lambda raw: pb.GetStatsRequest(raw_query=raw)
    )
    answer = await _usage(request).GetStats(
        message, metadata=call_metadata(request), timeout=_TIMEOUT_S
    )
    return reply(request, stats_to_json(convert.stats_from_proto(answer)), answer.headers)


async def flow(request: Request) -> Response:
    message = read_query(
        request, convert.flow_request_from_query, lambda raw: pb.GetFlowRequest(raw_query=raw)
    )
    answer = await _usage(request).GetFlow(
        message, metadata=call_metadata(request), timeout=_TIMEOUT_S
    )
    return reply(request, flow_to_json(convert.flow_from_proto(answer)), answer.headers)


async def capacity(request: Request) -> Response:
    message = read_query(
        request,
        convert.capacity_request_from_query,
        lambda raw: pb.GetCapacityRequest(raw_query=raw),
    )
    answer = await _usage(request).GetCapacity(
        message, metadata=call_metadata(request), timeout=_TIMEOUT_S
    )
    return reply(request, capacity_to_json(*convert.capacity_from_proto(answer)), answer.headers)


def OPERATIONS() -> dict[Any, Op]:
    use, q = usage_shapes(), queries()

    def ledger(summary: str, name: str) -> Op:
        return Op(summary, "usage", use[name], scope="gate:usage", query=q[name])

    return {
        trace_stats: ledger(
            "Count, successes, errors, p95 latency and cost of the requests a filter matches",
            "trace_stats",
        ),
        stats: ledger("Overview of a window: active agents, requests, spend", "stats"),
        flow: ledger("Requested model to served model and provider", "flow"),
        capacity: ledger(
            "Per provider: whether the keys have room, and what to do if not", "capacity"
        ),
    }


ROUTES = [
    Route("/traces/stats", trace_stats, methods=["GET"]),
    Route("/stats", stats, methods=["GET"]),
    Route("/flow", flow, methods=["GET"]),
    Route("/capacity", capacity, methods=["GET"]),
]

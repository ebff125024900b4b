"""The usage and traces routes: ``GET /usage``, ``GET /traces``, ``GET /traces/{trace_id}``.

Query parameters become a gRPC request; a query the bridge cannot type goes to the core
as is (:mod:`bridge.query`), which answers its 400 after the 401. The Authorization
header travels as metadata and the core decides whose rows the caller may read; its
answer's ``headers`` (the token's ``X-RateLimit-*``) become response headers. The JSON
shapes are documented in :mod:`gate_service.ledger.json_shapes`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.query import read_query
from bridge.responses import call_metadata, reply
from gate_service.ledger.json_shapes import (
    content_to_json,
    page_to_json,
    record_to_json,
    span_to_json,
    usage_to_json,
)
from gate_service.ledger.views import DEFAULT_TRACE_LIMIT
from gate_service.proto_convert.usage import (
    content_from_proto,
    page_from_proto,
    record_from_proto,
    span_from_proto,
    traces_request_from_query,
    usage_from_proto,
    usage_request_from_query,
)
from spidergate.v1 import usage_pb2 as pb

_TIMEOUT_S = 30.0


def _usage(request: Request) -> Any:
    """The core's usage service (a stub, or its stand-in over several cores)."""
    return request.app.state.core.usage


async def get_usage(request: Request) -> Response:
    md = call_metadata(request)
    message = read_query(
        request, usage_request_from_query, lambda raw: pb.GetUsageRequest(raw_query=raw)
    )
    answer = await _usage(request).GetUsage(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, usage_to_json(usage_from_proto(answer)), answer.headers)


async def list_traces(request: Request) -> Response:
    md = call_metadata(request)
    message = read_query(
        request, traces_request_from_query, lambda raw: pb.ListTracesRequest(raw_query=raw)
    )
    answer = await _usage(request).ListTraces(message, metadata=md, timeout=_TIMEOUT_S)
    limit = message.limit or DEFAULT_TRACE_LIMIT
    body = page_to_json(page_from_proto(answer), limit, message.offset)
    return reply(request, body, answer.headers)


async def get_trace(request: Request) -> Response:
    md = call_metadata(request)
    message = pb.GetTraceRequest(trace_id=request.path_params["trace_id"])
    answer = await _usage(request).GetTrace(message, metadata=md, timeout=_TIMEOUT_S)
    body = record_to_json(record_from_proto(answer.trace), attempts=True)
    body["spans"] = [span_to_json(span_from_proto(s)) for s in answer.spans]
    body.update(content_to_json(content_from_proto(answer.content)))
    return reply(request, body, answer.headers)


ROUTES = [
    Route("/usage", get_usage, methods=["GET"]),
    Route("/traces", list_traces, methods=["GET"]),
    Route("/traces/{trace_id}", get_trace, methods=["GET"]),
]

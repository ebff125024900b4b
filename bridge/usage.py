"""The usage and traces routes: ``GET /usage``, ``GET /traces``, ``GET /traces/{trace_id}``.

Query parameters become a gRPC request (a bad one is a 400 naming it, before the core is
asked); the Authorization header travels as metadata and the core decides whose rows the
caller may read; its answer's ``headers`` (the token's ``X-RateLimit-*``) become response
headers. The JSON shapes are documented in :mod:`gate_service.ledger.json_shapes`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import grpc
from starlette.requests import Request
from starlette.responses import Response

from bridge.core_client import CoreClient
from bridge.precheck import refuse
from bridge.responses import (
    REQUEST_ID,
    JSONResponse,
    Metadata,
    call_metadata,
    error_response,
    request_id,
)
from gate_service.errors import GateError
from gate_service.ledger.json_shapes import page_to_json, trace_to_json, usage_to_json
from gate_service.ledger.views import DEFAULT_TRACE_LIMIT
from gate_service.proto_convert.errors import from_rpc_error
from gate_service.proto_convert.usage import (
    page_from_proto,
    trace_from_proto,
    traces_request_from_query,
    usage_from_proto,
    usage_request_from_query,
)
from spidergate.v1 import usage_pb2 as pb

_TIMEOUT_S = 30.0
# A call returns the JSON body and the core's response headers.
Call = Callable[[CoreClient, Metadata], Awaitable[tuple[dict[str, Any], Mapping[str, str]]]]


async def _answer(request: Request, call: Call) -> Response:
    rid = request_id(request)
    try:
        body, headers = await call(request.app.state.core, call_metadata(request, rid))
    except GateError as exc:
        return await refuse(request, exc, rid)
    except grpc.aio.AioRpcError as exc:
        return error_response(from_rpc_error(exc), rid)
    return JSONResponse(body, headers={**headers, REQUEST_ID: rid})


async def get_usage(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> tuple[dict[str, Any], Mapping[str, str]]:
        message = usage_request_from_query(request.query_params)
        reply = await core.usage.GetUsage(message, metadata=md, timeout=_TIMEOUT_S)
        return usage_to_json(usage_from_proto(reply)), reply.headers

    return await _answer(request, call)


async def list_traces(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> tuple[dict[str, Any], Mapping[str, str]]:
        message = traces_request_from_query(request.query_params)
        reply = await core.usage.ListTraces(message, metadata=md, timeout=_TIMEOUT_S)
        limit = message.limit or DEFAULT_TRACE_LIMIT
        return page_to_json(page_from_proto(reply), limit, message.offset), reply.headers

    return await _answer(request, call)


async def get_trace(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> tuple[dict[str, Any], Mapping[str, str]]:
        message = pb.GetTraceRequest(trace_id=request.path_params["trace_id"])
        reply = await core.usage.GetTrace(message, metadata=md, timeout=_TIMEOUT_S)
        return trace_to_json(trace_from_proto(reply.trace), attempts=True), reply.headers

    return await _answer(request, call)

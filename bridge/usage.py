"""The usage and traces routes: ``GET /usage``, ``GET /traces``, ``GET /traces/{trace_id}``.

Query parameters become a gRPC request (a bad one is a 400 naming it, before the core is
asked); the Authorization header travels as metadata and the core decides whose rows the
caller may read. The JSON shapes are documented in :mod:`gate_service.proto_convert.usage`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from starlette.requests import Request
from starlette.responses import Response

from bridge.core_client import CoreClient
from bridge.responses import (
    REQUEST_ID,
    JSONResponse,
    Metadata,
    call_metadata,
    error_response,
    request_id,
)
from gate_service.errors import GateError
from gate_service.ledger.views import DEFAULT_TRACE_LIMIT
from gate_service.proto_convert.errors import from_rpc_error
from gate_service.proto_convert.usage import (
    page_from_proto,
    page_to_json,
    trace_from_proto,
    trace_to_json,
    traces_request_from_query,
    usage_from_proto,
    usage_request_from_query,
    usage_to_json,
)
from spidergate.v1 import usage_pb2 as pb

_TIMEOUT_S = 30.0
Call = Callable[[CoreClient, Metadata], Awaitable[dict[str, Any]]]


async def _answer(request: Request, call: Call) -> Response:
    rid = request_id(request)
    try:
        body = await call(request.app.state.core, call_metadata(request, rid))
    except GateError as exc:
        return error_response(exc, rid)
    except grpc.aio.AioRpcError as exc:
        return error_response(from_rpc_error(exc), rid)
    return JSONResponse(body, headers={REQUEST_ID: rid})


async def get_usage(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> dict[str, Any]:
        message = usage_request_from_query(request.query_params)
        reply = await core.usage.GetUsage(message, metadata=md, timeout=_TIMEOUT_S)
        return usage_to_json(usage_from_proto(reply))

    return await _answer(request, call)


async def list_traces(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> dict[str, Any]:
        message = traces_request_from_query(request.query_params)
        reply = await core.usage.ListTraces(message, metadata=md, timeout=_TIMEOUT_S)
        limit = message.limit or DEFAULT_TRACE_LIMIT
        return page_to_json(page_from_proto(reply), limit, message.offset)

    return await _answer(request, call)


async def get_trace(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> dict[str, Any]:
        message = pb.GetTraceRequest(trace_id=request.path_params["trace_id"])
        reply = await core.usage.GetTrace(message, metadata=md, timeout=_TIMEOUT_S)
        return trace_to_json(trace_from_proto(reply.trace), attempts=True)

    return await _answer(request, call)

"""The public catalog routes: ``/health``, ``/models``, ``/models/{id}``, ``/aliases``,
``/providers``. A bearer token, when sent, is passed on: the core checks it (401 when
invalid), counts the brand's own keys in ``is_configured`` and answers with the token's
``X-RateLimit-*`` headers, which are copied onto the response.
"""

from __future__ import annotations

import grpc
from starlette.requests import Request
from starlette.responses import Response

from bridge.core_client import CoreClient
from bridge.precheck import refuse
from bridge.responses import REQUEST_ID, JSONResponse, call_metadata, error_response, request_id
from gate_service.catalog.snapshot import parse_model_query
from gate_service.errors import GateError
from gate_service.proto_convert.catalog import (
    alias_to_json,
    model_to_json,
    provider_to_json,
    query_to_proto,
)
from gate_service.proto_convert.errors import from_rpc_error
from spidergate.v1 import catalog_pb2

_TIMEOUT_S = 10.0


async def health(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    rid = request_id(request)
    try:
        reply = await core.catalog.GetHealth(catalog_pb2.GetHealthRequest(), timeout=2.0)
    except grpc.aio.AioRpcError:
        error = GateError("service_unavailable", "The gateway core is not serving yet.")
        return error_response(error, rid)
    body = {"status": reply.status, "version": reply.version, "uptime": reply.uptime_seconds}
    return JSONResponse(body, headers={REQUEST_ID: rid})


async def list_models(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    rid = request_id(request)
    try:
        query = parse_model_query(request.query_params)
        reply = await core.catalog.ListModels(
            query_to_proto(query), metadata=call_metadata(request, rid), timeout=_TIMEOUT_S
        )
    except GateError as exc:
        return await refuse(request, exc, rid, public=True)
    except grpc.aio.AioRpcError as exc:
        return error_response(from_rpc_error(exc), rid)
    data = [model_to_json(m) for m in reply.models]
    body = {
        "object": "list",
        "data": data,
        "total": reply.total,
        "limit": query.limit,
        "offset": query.offset,
        "has_more": query.offset + len(data) < reply.total,
    }
    return JSONResponse(body, headers={**reply.headers, REQUEST_ID: rid})


async def get_model(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    rid = request_id(request)
    try:
        reply = await core.catalog.GetModel(
            catalog_pb2.GetModelRequest(id=request.path_params["model_id"]),
            metadata=call_metadata(request, rid),
            timeout=_TIMEOUT_S,
        )
    except grpc.aio.AioRpcError as exc:
        return error_response(from_rpc_error(exc), rid)
    return JSONResponse(model_to_json(reply.model), headers={**reply.headers, REQUEST_ID: rid})


async def list_aliases(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    rid = request_id(request)
    try:
        reply = await core.catalog.ListAliases(
            catalog_pb2.ListAliasesRequest(),
            metadata=call_metadata(request, rid),
            timeout=_TIMEOUT_S,
        )
    except grpc.aio.AioRpcError as exc:
        return error_response(from_rpc_error(exc), rid)
    data = [alias_to_json(a) for a in reply.aliases]
    return JSONResponse(
        {"object": "list", "data": data}, headers={**reply.headers, REQUEST_ID: rid}
    )


async def list_providers(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    rid = request_id(request)
    try:
        reply = await core.catalog.ListProviders(
            catalog_pb2.ListProvidersRequest(),
            metadata=call_metadata(request, rid),
            timeout=_TIMEOUT_S,
        )
    except grpc.aio.AioRpcError as exc:
        return error_response(from_rpc_error(exc), rid)
    data = [provider_to_json(p) for p in reply.providers]
    return JSONResponse(
        {"object": "list", "data": data}, headers={**reply.headers, REQUEST_ID: rid}
    )

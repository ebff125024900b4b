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
from bridge.errors import CoreError, public
from bridge.responses import call_metadata, reply
from bridge.routing import GateRoute
from gate_service.catalog.snapshot import parse_model_query
from gate_service.proto_convert.catalog import (
    alias_to_json,
    model_to_json,
    provider_to_json,
    query_to_proto,
)
from spidergate.v1 import catalog_pb2

_TIMEOUT_S = 10.0


async def health(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    try:
        answer = await core.catalog.GetHealth(catalog_pb2.GetHealthRequest(), timeout=2.0)
    except grpc.aio.AioRpcError:
        # Whatever the core's trouble, /health says only that it is not serving.
        raise CoreError("service_unavailable", "The gateway core is not serving yet.") from None
    body = {"status": answer.status, "version": answer.version, "uptime": answer.uptime_seconds}
    return reply(request, body)


async def list_models(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    query = parse_model_query(request.query_params)
    answer = await core.catalog.ListModels(
        query_to_proto(query),
        metadata=call_metadata(request),
        timeout=_TIMEOUT_S,
    )
    data = [model_to_json(m) for m in answer.models]
    body = {
        "object": "list",
        "data": data,
        "total": answer.total,
        "limit": query.limit,
        "offset": query.offset,
        "has_more": query.offset + len(data) < answer.total,
    }
    return reply(request, body, answer.headers)


async def get_model(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    answer = await core.catalog.GetModel(
        catalog_pb2.GetModelRequest(id=request.path_params["model_id"]),
        metadata=call_metadata(request),
        timeout=_TIMEOUT_S,
    )
    return reply(request, model_to_json(answer.model), answer.headers)


async def list_aliases(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    answer = await core.catalog.ListAliases(
        catalog_pb2.ListAliasesRequest(),
        metadata=call_metadata(request),
        timeout=_TIMEOUT_S,
    )
    data = [alias_to_json(a) for a in answer.aliases]
    return reply(request, {"object": "list", "data": data}, answer.headers)


async def list_providers(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    answer = await core.catalog.ListProviders(
        catalog_pb2.ListProvidersRequest(),
        metadata=call_metadata(request),
        timeout=_TIMEOUT_S,
    )
    data = [provider_to_json(p) for p in answer.providers]
    return reply(request, {"object": "list", "data": data}, answer.headers)


# Public: a token is checked only when sent (a bad query with a bad token gets the 401).
ROUTES = [
    GateRoute("/health", health, methods=["GET"], refusal=public),
    GateRoute("/models", list_models, methods=["GET"], refusal=public),
    GateRoute("/models/{model_id:anypath}", get_model, methods=["GET"], refusal=public),
    GateRoute("/aliases", list_aliases, methods=["GET"], refusal=public),
    GateRoute("/providers", list_providers, methods=["GET"], refusal=public),
]

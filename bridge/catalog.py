"""The public catalog routes: ``/health``, ``/models``, ``/models/{id}``, ``/aliases``,
``/providers``. A bearer token, when sent, is passed on: the core checks it (401 when
invalid), counts the brand's own keys in ``is_configured`` and answers with the token's
``X-RateLimit-*`` headers, which are copied onto the response. A models query the bridge
cannot type goes to the core as is (:mod:`bridge.query`): a bad token's 401 comes first.
"""

from __future__ import annotations

from collections.abc import Mapping

import grpc
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import bridge.routing  # noqa: F401  (registers the ``anypath`` convertor /models/{id} uses)
from bridge.core_client import CoreClient
from bridge.query import read_query
from bridge.responses import call_metadata, reply
from gate_service.catalog.snapshot import parse_model_query
from gate_service.errors import GateError
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
        raise GateError("service_unavailable", "The gateway core is not serving yet.") from None
    body = {"status": answer.status, "version": answer.version, "uptime": answer.uptime_seconds}
    return reply(request, body)


def _models_request(params: Mapping[str, str]) -> catalog_pb2.ListModelsRequest:
    return query_to_proto(parse_model_query(params))


async def list_models(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    message = read_query(
        request, _models_request, lambda raw: catalog_pb2.ListModelsRequest(raw_query=raw)
    )
    answer = await core.catalog.ListModels(
        message, metadata=call_metadata(request), timeout=_TIMEOUT_S
    )
    data = [model_to_json(m) for m in answer.models]
    body = {
        "object": "list",
        "data": data,
        "total": answer.total,
        # The request's own (query_to_proto sets both, defaults included).
        "limit": message.limit,
        "offset": message.offset,
        "has_more": message.offset + len(data) < answer.total,
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
    Route("/health", health, methods=["GET"]),
    Route("/models", list_models, methods=["GET"]),
    Route("/models/{model_id:anypath}", get_model, methods=["GET"]),
    Route("/aliases", list_aliases, methods=["GET"]),
    Route("/providers", list_providers, methods=["GET"]),
]

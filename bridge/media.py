"""``GET /media/models`` and ``POST /media/generations`` (media.md) over the core's
MediaService. A query or body the bridge cannot type is forwarded as is (``raw_query``,
``raw_body``) and answered by the core after authentication."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.body import read_json
from bridge.openapi_operations import Op
from bridge.proto_schema import request_view
from bridge.query import read_query
from bridge.responses import call_metadata, reply
from gate_service.proto_convert.media import (
    generation_request_from_json,
    generation_to_json,
    list_request_from_query,
    media_model_to_json,
)
from gate_service.providers.params import DROPPED_HEADER
from spidergate.v1 import media_pb2


async def list_media_models(request: Request) -> Response:
    message = read_query(
        request,
        list_request_from_query,
        lambda raw: media_pb2.ListMediaModelsRequest(raw_query=raw),
    )
    answer = await request.app.state.core.media.ListMediaModels(
        message, metadata=call_metadata(request)
    )
    body = {"object": "list", "data": [media_model_to_json(m) for m in answer.models]}
    return reply(request, body, answer.headers)


async def create_media_generation(request: Request) -> Response:
    message = await read_json(
        request,
        generation_request_from_json,
        lambda raw: media_pb2.CreateMediaGenerationRequest(raw_body=raw),
    )
    answer = await request.app.state.core.media.CreateMediaGeneration(
        message, metadata=call_metadata(request)
    )
    headers = dict(answer.headers)
    if answer.dropped_params:
        headers[DROPPED_HEADER] = ", ".join(answer.dropped_params)
    return reply(request, generation_to_json(answer), headers)


ROUTES = [
    Route("/media/models", list_media_models, methods=["GET"]),
    Route("/media/generations", create_media_generation, methods=["POST"]),
]

_OPEN: dict[str, Any] = {"type": "object"}


def OPERATIONS() -> dict[Any, Op]:
    return {
        list_media_models: Op(
            "Media models and the schema of their inputs",
            "media",
            _OPEN,
            query=request_view(media_pb2.ListMediaModelsRequest, empty_is_unset=True),
        ),
        create_media_generation: Op(
            "Run a media model; undeclared params are dropped",
            "media",
            _OPEN,
            scope="gate:chat",
            body=request_view(media_pb2.CreateMediaGenerationRequest, required=("model",)),
            errors=(
                *("model_not_found", "service_unavailable", "budget_exceeded"),
                *("all_providers_failed", "no_openai_key", "rate_limit_exceeded"),
            ),
        ),
    }

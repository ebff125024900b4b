"""``POST /images/generations`` and ``POST /moderations``: OpenAI's shapes over the
core's ImagesService and ModerationsService.

A body the bridge cannot type (not JSON, a wrongly typed field, a missing prompt or
input) goes to the core as is, in ``raw_body``: the core answers its 400 after
authentication, with the token's ``X-RateLimit-*``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.body import read_json
from bridge.openapi_operations import Op
from bridge.proto_schema import request_view
from bridge.responses import call_metadata, reply
from gate_service.domain.images import image_answer_to_json
from gate_service.domain.moderations import moderation_answer_to_json
from gate_service.proto_convert.images import (
    create_image_from_json,
    create_image_untyped,
    create_moderation_from_json,
    create_moderation_untyped,
    image_answer_from_proto,
    moderation_answer_from_proto,
)
from spidergate.v1 import images_pb2, moderations_pb2


async def create_image(request: Request) -> Response:
    message = await read_json(request, create_image_from_json, create_image_untyped)
    answer = await request.app.state.core.images.CreateImage(
        message, metadata=call_metadata(request)
    )
    return reply(request, image_answer_to_json(image_answer_from_proto(answer)), answer.headers)


async def create_moderation(request: Request) -> Response:
    message = await read_json(request, create_moderation_from_json, create_moderation_untyped)
    answer = await request.app.state.core.moderations.CreateModeration(
        message, metadata=call_metadata(request)
    )
    body = moderation_answer_to_json(moderation_answer_from_proto(answer))
    return reply(request, body, answer.headers)


ROUTES = [
    Route("/images/generations", create_image, methods=["POST"]),
    Route("/moderations", create_moderation, methods=["POST"]),
]

_MEDIA_ERRORS = (
    *("budget_exceeded", "model_not_allowed", "model_not_found", "no_qualifying_model"),
    *("rate_limit_exceeded", "all_providers_failed", "no_openai_key", "upstream_timeout"),
)
_OPEN: dict[str, Any] = {"type": "object"}


def OPERATIONS() -> dict[Any, Op]:
    return {
        create_image: Op(
            "Generate images (OpenAI's shape, plus spidergate_metadata)",
            "media",
            _OPEN,
            scope="gate:chat",
            body=request_view(images_pb2.ImageRequest, required=("prompt",)),
            errors=_MEDIA_ERRORS,
        ),
        create_moderation: Op(
            "Classify text or images against the provider's policy categories",
            "media",
            _OPEN,
            scope="gate:chat",
            body=request_view(moderations_pb2.ModerationRequest, required=("input",)),
            errors=_MEDIA_ERRORS,
        ),
    }

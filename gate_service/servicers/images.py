"""ImagesService: authenticate (scope ``gate:chat``), build and validate the typed
request once (a 400 comes after the 401 and carries the token's limits), run it through
the images service (:mod:`gate_service.media.images`), convert the answer to proto once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import grpc

from gate_service.core import Core
from gate_service.domain.images import image_request_from_json, validate_image_request
from gate_service.errors import GateError
from gate_service.media.images import ImagesService
from gate_service.proto_convert.images import (
    image_answer_to_proto,
    image_request_from_proto,
)
from gate_service.proto_convert.untyped import parse_json
from gate_service.servicers.common import authenticate, call_headers, unary
from gate_service.servicers.media_context import media_context
from spidergate.v1 import images_pb2, images_pb2_grpc

T = TypeVar("T")


def images_service(core: Core) -> ImagesService:
    return ImagesService(core.pipeline, core.session, core.settings.upstream_timeout_s)


async def read_request(
    core: Core,
    principal: Any,
    message: Any,
    from_json: Callable[[dict[str, Any]], T],
    from_proto: Callable[[Any], T],
    validate: Callable[[T], None] | None = None,
) -> T:
    """The typed request from the proto (or from the body the bridge could not type); a
    400 goes out with the token's limits."""
    try:
        if message.HasField("raw_body"):
            request = parse_json(message.raw_body, core.settings.max_json_depth, from_json)
        else:
            request = from_proto(message.request)
        if validate is not None:
            validate(request)
    except GateError as exc:
        await core.pipeline.report_limits(principal, exc)
        raise
    return request


class ImagesServicer(images_pb2_grpc.ImagesServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core
        self._images = images_service(core)

    @unary
    async def CreateImage(
        self, request: images_pb2.CreateImageRequest, context: grpc.aio.ServicerContext
    ) -> images_pb2.CreateImageResponse:
        core = self._core
        principal = await authenticate(core, context, "gate:chat")
        image = await read_request(
            core,
            principal,
            request,
            image_request_from_json,
            image_request_from_proto,
            validate_image_request,
        )
        ctx = media_context(core, principal, context)
        result = await self._images.generate(principal, ctx, image)
        return image_answer_to_proto(result.answer, {**call_headers(), **result.headers})

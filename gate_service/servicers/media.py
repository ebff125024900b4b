"""MediaService: the media catalogue (any valid token) and generation over it (scope
``gate:chat``). Input the bridge could not type (``raw_query``, ``raw_body``) is read
here with the bridge's own readers, after authentication, so its 400 carries the token's
limits."""

from __future__ import annotations

import grpc

from gate_service.core import Core
from gate_service.errors import GateError
from gate_service.media.catalog import load_media_catalog
from gate_service.media.generation import MediaService
from gate_service.proto_convert.media import (
    generation_params,
    generation_request_from_json,
    generation_to_proto,
    list_request_from_query,
    media_model_to_proto,
)
from gate_service.proto_convert.untyped import parse_json, query_params
from gate_service.servicers.common import authenticate, call_headers, unary
from gate_service.servicers.images import images_service
from gate_service.servicers.media_context import media_context
from spidergate.v1 import media_pb2, media_pb2_grpc


class MediaServicer(media_pb2_grpc.MediaServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core
        self._media = MediaService(
            load_media_catalog(), images_service(core), core.settings.media_markup
        )

    @unary
    async def ListMediaModels(
        self, request: media_pb2.ListMediaModelsRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.ListMediaModelsResponse:
        core = self._core
        principal = await authenticate(core, context)
        try:
            if request.raw_query:
                request = list_request_from_query(query_params(request.raw_query))
            else:
                list_request_from_query(
                    {
                        "modality": request.modality,
                        "include_inactive": str(request.include_inactive).lower(),
                    }
                )
        except GateError as exc:
            await core.pipeline.report_limits(principal, exc)
            raise
        models = self._media.catalog.listed(request.modality or None, request.include_inactive)
        return media_pb2.ListMediaModelsResponse(
            models=[media_model_to_proto(m, core.catalog.model(m.id)) for m in models],
            headers=call_headers(),
        )

    @unary
    async def CreateMediaGeneration(
        self, request: media_pb2.CreateMediaGenerationRequest, context: grpc.aio.ServicerContext
    ) -> media_pb2.CreateMediaGenerationResponse:
        core = self._core
        principal = await authenticate(core, context, "gate:chat")
        try:
            if request.HasField("raw_body"):
                depth = core.settings.max_json_depth
                request = parse_json(request.raw_body, depth, generation_request_from_json)
            model, params, dropped = self._media.check(request.model, generation_params(request))
        except GateError as exc:
            await core.pipeline.report_limits(principal, exc)
            raise
        ctx = media_context(core, principal, context)
        made = await self._media.generate(principal, ctx, model, params, dropped)
        return generation_to_proto(made, {**call_headers(), **made.headers})

"""ModerationsService: authenticate (scope ``gate:chat``), read the typed request once
(a 400 after the 401, with the token's limits), moderate, convert the answer once."""

from __future__ import annotations

import grpc

from gate_service.core import Core
from gate_service.domain.moderations import moderation_request_from_json
from gate_service.media.moderations import ModerationsService
from gate_service.proto_convert.images import (
    moderation_answer_to_proto,
    moderation_request_from_proto,
)
from gate_service.servicers.common import authenticate, call_headers, unary
from gate_service.servicers.images import read_request
from gate_service.servicers.media_context import media_context
from spidergate.v1 import moderations_pb2, moderations_pb2_grpc


class ModerationsServicer(moderations_pb2_grpc.ModerationsServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core
        self._moderations = ModerationsService(
            core.pipeline, core.session, core.settings.upstream_timeout_s
        )

    @unary
    async def CreateModeration(
        self, request: moderations_pb2.CreateModerationRequest, context: grpc.aio.ServicerContext
    ) -> moderations_pb2.CreateModerationResponse:
        core = self._core
        principal = await authenticate(core, context, "gate:chat")
        moderation = await read_request(
            core, principal, request, moderation_request_from_json, moderation_request_from_proto
        )
        ctx = media_context(core, principal, context)
        answer, headers = await self._moderations.moderate(principal, ctx, moderation)
        return moderation_answer_to_proto(answer, {**call_headers(), **headers})

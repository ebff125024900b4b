"""EmbeddingsService: authenticate (scope ``gate:chat``, api.md), build and validate the
typed request (one conversion from proto; a 400 here comes after the 401 and carries the
token's limits), embed, and convert the answer to proto once."""

from __future__ import annotations

import grpc

from gate_service.core import Core
from gate_service.deadline import Deadline
from gate_service.domain.embeddings import EmbeddingRequest
from gate_service.embeddings.service import EmbeddingsService
from gate_service.embeddings.validation import validate_embedding_request
from gate_service.errors import GateError
from gate_service.offload import sized
from gate_service.proto_convert.embeddings import (
    embedding_answer_to_proto,
    embedding_request_from_proto,
)
from gate_service.routing.outcome import RequestContext
from gate_service.servicers.chat import _budget
from gate_service.servicers.common import metadata_value, request_id, require_scope, unary
from spidergate.v1 import embeddings_pb2, embeddings_pb2_grpc


def _convert(req: embeddings_pb2.CreateEmbeddingRequest, max_depth: int) -> EmbeddingRequest:
    request = embedding_request_from_proto(req, max_depth)
    validate_embedding_request(request)
    return request


class EmbeddingsServicer(embeddings_pb2_grpc.EmbeddingsServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core
        # The chat cache's store: one bound on the memory every answer kind takes.
        self._service = EmbeddingsService(
            core.pipeline,
            core.session,
            core.chat.cache,
            default_timeout_s=core.settings.upstream_timeout_s,
        )

    @unary
    async def CreateEmbedding(
        self, request: embeddings_pb2.CreateEmbeddingRequest, context: grpc.aio.ServicerContext
    ) -> embeddings_pb2.CreateEmbeddingResponse:
        core = self._core
        settings = core.settings
        principal = await core.authenticator.authenticate(metadata_value(context, "authorization"))
        try:
            require_scope(principal, "gate:chat")
            # A large batch is converted and checked off the event loop (offload.py).
            limit = settings.json_offload_bytes
            embed = await sized(
                request.ByteSize(), limit, _convert, request, settings.max_json_depth
            )
        except GateError as exc:
            await core.pipeline.report_limits(principal, exc)
            raise
        ctx = RequestContext(
            client_id=principal.client_id,
            request_id=request_id(context),
            include_route_trace=embed.include_route_trace,
            allowed_models=principal.controls.allowed_models,
            free_only=principal.controls.free_only,
            deadline=Deadline(_budget(settings.request_deadline_s, context)),
        )
        answer, headers = await self._service.embed(principal, ctx, embed)
        return embedding_answer_to_proto(answer, embed.encoding_format, headers)

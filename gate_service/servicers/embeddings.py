"""EmbeddingsService: authenticate (scope ``gate:chat``, api.md), build and validate the
typed request (one conversion from proto; a 400 here comes after the 401 and carries the
token's limits), embed, and convert the answer to proto once."""

from __future__ import annotations

import grpc

from gate_service.core import Core
from gate_service.domain.embeddings import EmbeddingRequest
from gate_service.embeddings.validation import validate_embedding_request
from gate_service.errors import GateError
from gate_service.offload import sized
from gate_service.proto_convert.embeddings import (
    embedding_answer_to_proto,
    embedding_request_from_proto,
)
from gate_service.servicers.common import (
    caller,
    request_context,
    require_scope,
    unary,
)
from spidergate.v1 import embeddings_pb2, embeddings_pb2_grpc


def _convert(req: embeddings_pb2.CreateEmbeddingRequest, max_depth: int) -> EmbeddingRequest:
    request = embedding_request_from_proto(req, max_depth)
    validate_embedding_request(request)
    return request


class EmbeddingsServicer(embeddings_pb2_grpc.EmbeddingsServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core

    @unary
    async def CreateEmbedding(
        self, request: embeddings_pb2.CreateEmbeddingRequest, context: grpc.aio.ServicerContext
    ) -> embeddings_pb2.CreateEmbeddingResponse:
        core = self._core
        settings = core.settings
        principal = await caller(core, context)
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
        ctx = request_context(
            core, principal, context, include_route_trace=embed.include_route_trace
        )
        answer, headers = await core.embeddings.embed(principal, ctx, embed)
        return embedding_answer_to_proto(answer, embed.encoding_format, headers)

"""ChatService and StreamService: authenticate, then build and validate the typed request
(one conversion from proto; a 400 here comes after the 401 and carries the token's
limits), route, and convert the answer to proto once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from gate_service.auth.principal import Principal
from gate_service.chat.validation import validate_chat_request
from gate_service.core import Core
from gate_service.domain import ChatRequest
from gate_service.errors import GateError
from gate_service.offload import sized
from gate_service.prompts.apply import names_prompt
from gate_service.proto_convert.completion import chunk_to_proto, completion_to_proto
from gate_service.proto_convert.request import request_from_proto
from gate_service.routing.outcome import RequestContext
from gate_service.servicers.common import (
    caller,
    request_context,
    require_scope,
    streaming,
    unary,
)
from spidergate.v1 import chat_pb2, chat_pb2_grpc, common_pb2, stream_pb2, stream_pb2_grpc


async def _prepare(
    core: Core, req: common_pb2.ChatCompletionRequest, context: grpc.aio.ServicerContext
) -> tuple[Principal, RequestContext, ChatRequest]:
    principal = await caller(core, context)
    settings = core.settings
    try:
        require_scope(principal, "gate:chat")
        # A large request is converted and checked off the event loop (offload.py).
        limit = settings.json_offload_bytes
        request = await sized(req.ByteSize(), limit, _convert, req, settings.max_json_depth)
        if names_prompt(request):
            # A saved prompt fills in what the request left out (prompts/apply.py); the
            # request is validated once it is whole.
            await core.prompts.apply(principal.client_id, request)
            validate_chat_request(request)
    except GateError as exc:
        await core.pipeline.report_limits(principal, exc)
        raise
    ctx = request_context(core, principal, context, include_route_trace=request.include_route_trace)
    return principal, ctx, request


def _convert(req: common_pb2.ChatCompletionRequest, max_depth: int) -> ChatRequest:
    request = request_from_proto(req, max_depth)
    if not names_prompt(request):
        validate_chat_request(request)
    return request


class ChatServicer(chat_pb2_grpc.ChatServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core

    @unary
    async def CreateChatCompletion(
        self, request: chat_pb2.CreateChatCompletionRequest, context: grpc.aio.ServicerContext
    ) -> chat_pb2.CreateChatCompletionResponse:
        principal, ctx, chat = await _prepare(self._core, request.request, context)
        chat.stream = None
        completion, headers = await self._core.chat.complete(principal, ctx, chat)
        return chat_pb2.CreateChatCompletionResponse(
            completion=completion_to_proto(completion), headers=headers
        )

    @unary
    async def CountTokens(
        self, request: chat_pb2.CountTokensRequest, context: grpc.aio.ServicerContext
    ) -> chat_pb2.CountTokensResponse:
        _, ctx, chat = await _prepare(self._core, request.request, context)
        return chat_pb2.CountTokensResponse(input_tokens=self._core.chat.count_tokens(ctx, chat))


class StreamServicer(stream_pb2_grpc.StreamServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core

    @streaming
    async def StreamChatCompletion(
        self, request: stream_pb2.StreamChatCompletionRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[stream_pb2.StreamChatCompletionResponse]:
        principal, ctx, chat = await _prepare(self._core, request.request, context)
        async for headers, chunks in self._core.chat.stream(principal, ctx, chat):
            yield stream_pb2.StreamChatCompletionResponse(
                chunks=[chunk_to_proto(c) for c in chunks], headers=headers or {}
            )

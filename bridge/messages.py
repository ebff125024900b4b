"""``POST /v1/messages`` and ``POST /v1/messages/count_tokens``: Anthropic's Messages API,
for clients built on the anthropic SDK (``base_url`` = ``http://host:port/api/gate`` or
``http://host:port``: the SDK appends ``/v1/messages``, which is this module's
``/messages`` under either prefix).

A translation at the edge and nothing else: the body becomes a chat request
(:mod:`gate_service.proto_convert.messages_json`, ``request_kind="message"``), served by
the chat RPCs as any chat request is (routing, governance, cache, ledger), and the answer
is translated back (:mod:`bridge.messages_answer`, :mod:`bridge.messages_stream`). The
token comes as ``x-api-key`` or as ``Authorization: Bearer``; ``anthropic-version`` is
accepted whatever its value. Errors are in Anthropic's shape with the catalogue's status
(:func:`bridge.responses.error_response` answers these paths so); after a stream's first
event, one ``event: error`` and the stream ends. A body that cannot be translated goes to
the core untyped, which translates it again after authentication and answers the 400.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import grpc
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from bridge import messages_schema, responses
from bridge.body import read_json
from bridge.core_client import CoreClient
from bridge.messages_answer import completion_to_message, error_body
from bridge.messages_stream import MessageStream, sse
from bridge.openapi_operations import Op
from bridge.responses import REQUEST_ID, call_metadata, request_id
from gate_service.errors import GateError
from gate_service.proto_convert.completion import chunk_from_proto, completion_from_proto
from gate_service.proto_convert.errors import from_rpc_error
from gate_service.proto_convert.messages_json import messages_to_chat
from gate_service.proto_convert.request_json import request_to_proto
from spidergate.v1 import chat_pb2, common_pb2, stream_pb2

KIND = "message"
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _to_proto(body: dict[str, Any]) -> common_pb2.ChatCompletionRequest:
    chat = request_to_proto(messages_to_chat(body))
    chat.request_kind = KIND
    return chat


def _count_to_proto(body: dict[str, Any]) -> common_pb2.ChatCompletionRequest:
    chat = request_to_proto(messages_to_chat(body, counting=True))
    chat.request_kind = KIND
    chat.ClearField("stream")
    return chat


def _untyped(raw: bytes) -> common_pb2.ChatCompletionRequest:
    """A body that could not be translated, forwarded whole for the core to refuse."""
    return common_pb2.ChatCompletionRequest(extra_json=raw, request_kind=KIND)


async def create_message(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    rid = request_id(request)
    chat = await read_json(request, _to_proto, _untyped)
    metadata = call_metadata(request, rid, api_key=True)
    if chat.stream:
        return await _stream(core, chat, metadata, rid)
    reply = await core.chat.CreateChatCompletion(
        chat_pb2.CreateChatCompletionRequest(request=chat), metadata=metadata
    )
    message = completion_to_message(completion_from_proto(reply.completion))
    return responses.reply(request, message, reply.headers)


async def count_tokens(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    rid = request_id(request)
    chat = await read_json(request, _count_to_proto, _untyped)
    reply = await core.chat.CountTokens(
        chat_pb2.CountTokensRequest(request=chat),
        metadata=call_metadata(request, rid, api_key=True),
    )
    return responses.reply(request, {"input_tokens": reply.input_tokens}, reply.headers)


async def _stream(
    core: CoreClient, chat: Any, metadata: tuple[tuple[str, str], ...], rid: str
) -> Response:
    call = core.stream.StreamChatCompletion(
        stream_pb2.StreamChatCompletionRequest(request=chat), metadata=metadata
    )
    first = await call.read()  # a refusal before the first chunk is an ordinary error
    if first is grpc.aio.EOF:
        raise GateError("upstream_error", "The upstream ended the stream without any chunk.")
    first = cast(stream_pb2.StreamChatCompletionResponse, first)
    return StreamingResponse(
        _events(call, first),
        media_type="text/event-stream",
        headers={**_SSE_HEADERS, **first.headers, REQUEST_ID: rid},
    )


async def _events(
    call: Any, first: stream_pb2.StreamChatCompletionResponse
) -> AsyncIterator[bytes]:
    translator = MessageStream()

    def batch(message: stream_pb2.StreamChatCompletionResponse) -> bytes:
        events = (e for c in message.chunks for e in translator.feed(chunk_from_proto(c)))
        return b"".join(sse(name, data) for name, data in events)

    try:
        yield batch(first)
        while (message := await call.read()) is not grpc.aio.EOF:
            yield batch(cast(stream_pb2.StreamChatCompletionResponse, message))
    except grpc.aio.AioRpcError as exc:
        yield sse("error", error_body(from_rpc_error(exc)))
        return
    finally:
        # A disconnected client lands here too: cancel the call, and so the upstream.
        call.cancel()
    yield b"".join(sse(name, data) for name, data in translator.end())


ROUTES = [
    Route("/messages", create_message, methods=["POST"]),
    Route("/messages/count_tokens", count_tokens, methods=["POST"]),
]


_ERRORS = (
    "budget_exceeded",
    "model_not_allowed",
    "model_not_found",
    "no_qualifying_model",
    "rate_limit_exceeded",
    "daily_rate_limit_exceeded",
    "upstream_error",
    "all_providers_failed",
    "service_unavailable",
    "upstream_timeout",
    "not_found",  # a saved prompt the brand does not have
)
_AUTH = (
    "The token as `x-api-key` (the anthropic SDK's `api_key`) or `Authorization: Bearer` "
    "(its `auth_token`); `anthropic-version` is accepted, whatever its value. "
)


def OPERATIONS() -> dict[Callable[..., Any], Op]:
    return {
        create_message: Op(
            "Create a message (Anthropic Messages API)",
            "messages",
            messages_schema.MESSAGE,
            scope="gate:chat",
            body=messages_schema.request(),
            errors=_ERRORS,
            stream=messages_schema.EVENT,
            stream_note="Anthropic's events: `event: <type>` and `data: <event JSON>`, then "
            "a blank line; an error after the first event is one `event: error`.",
            error_schema="AnthropicError",
            description=_AUTH + "Served as a chat request (any alias or model, any "
            "upstream format), recorded under the kind `message`. Errors are in "
            "Anthropic's shape with the catalogue's statuses and our `code`.",
        ),
        count_tokens: Op(
            "Count a message's input tokens (Anthropic Messages API)",
            "messages",
            messages_schema.COUNT,
            scope="gate:chat",
            body=messages_schema.request(counting=True),
            errors=("model_not_allowed", "model_not_found", "no_qualifying_model", "not_found"),
            error_schema="AnthropicError",
            description=_AUTH + "The gateway's own prompt estimate (what routing and "
            "budgets use), not the provider's tokenizer: no provider is called, and the "
            "count is not a request against the token's limits.",
        ),
    }

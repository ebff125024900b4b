"""``POST /chat/completions``: JSON and Server-Sent Events.

A stream's HTTP headers are not sent before the core produced its first chunk, so an error
found before it (auth, limits, validation, no model, every upstream failing) is an ordinary
HTTP error with a JSON body. After it, a failure is one ``data: {"error": ...}`` event
followed by ``data: [DONE]``. A client that disconnects cancels the gRPC call, which
cancels the upstream request.

A body the bridge cannot type (not JSON, not an object, nested too deep, a wrongly typed
field) is not refused here: it goes to the core as-is, in the request's ``extra_json``,
and the core answers after authentication (401 first; a 400 naming the parameter, with
the token's ``X-RateLimit-*``), as for every other fault of a request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import grpc
import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from bridge import responses
from bridge.body import read_json
from bridge.core_client import CoreClient
from bridge.responses import REQUEST_ID, call_metadata, request_id
from gate_service.errors import GateError
from gate_service.proto_convert.completion import chunk_from_proto, completion_from_proto
from gate_service.proto_convert.errors import from_rpc_error
from gate_service.proto_convert.request_json import request_to_proto
from spidergate.v1 import chat_pb2, common_pb2, stream_pb2

DONE = b"data: [DONE]\n\n"
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _untyped(raw: bytes) -> common_pb2.ChatCompletionRequest:
    """A body that could not be typed, forwarded whole for the core to refuse."""
    return common_pb2.ChatCompletionRequest(extra_json=raw)


def sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def _sse_batch(message: stream_pb2.StreamChatCompletionResponse) -> bytes:
    """The chunks that arrived together, as one write."""
    return b"".join(sse(chunk_from_proto(c)) for c in message.chunks)


def wants_route_trace(request: Request) -> bool:
    """``?include_route_trace=1`` (or ``true``): the answer lists every attempt."""
    return request.query_params.get("include_route_trace", "").lower() in ("1", "true")


async def chat_completions(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    rid = request_id(request)
    chat = await read_json(request, request_to_proto, _untyped)
    chat.include_route_trace = wants_route_trace(request)
    metadata = call_metadata(request, rid)
    if chat.stream:
        return await stream_response(core, chat, metadata, rid, _sse_batch)
    reply = await core.chat.CreateChatCompletion(
        chat_pb2.CreateChatCompletionRequest(request=chat), metadata=metadata
    )
    return responses.reply(request, completion_from_proto(reply.completion), reply.headers)


Batch = Callable[[stream_pb2.StreamChatCompletionResponse], bytes]
"""What one message of the core's stream is written as (its chunks' ``data:`` events)."""


async def stream_response(
    core: CoreClient,
    chat: common_pb2.ChatCompletionRequest,
    metadata: tuple[tuple[str, str], ...],
    rid: str,
    batch: Batch,
) -> Response:
    """A chat stream as Server-Sent Events, each message of the core's stream written by
    ``batch``: chat's chunks as they are, or another surface's shape of them (legacy
    completions) over the same error, cancellation and ``[DONE]`` handling."""
    call = core.stream.StreamChatCompletion(
        stream_pb2.StreamChatCompletionRequest(request=chat), metadata=metadata
    )
    first = await call.read()  # a refusal before the first chunk is an ordinary error
    if first is grpc.aio.EOF:
        raise GateError("upstream_error", "The upstream ended the stream without any chunk.")
    # grpc's stubs type read() as `object | reply` (EOF has no type of its own), so the
    # check above cannot narrow it: past it, this is the reply.
    first = cast(stream_pb2.StreamChatCompletionResponse, first)
    return StreamingResponse(
        _events(call, first, batch),
        media_type="text/event-stream",
        headers={**_SSE_HEADERS, **first.headers, REQUEST_ID: rid},
    )


async def _events(
    call: Any, first: stream_pb2.StreamChatCompletionResponse, batch: Batch
) -> AsyncIterator[bytes]:
    try:
        yield batch(first)
        while (message := await call.read()) is not grpc.aio.EOF:
            yield batch(message)
    except grpc.aio.AioRpcError as exc:
        error = from_rpc_error(exc)
        yield sse(error.envelope())
    finally:
        # A disconnected client lands here too: cancel the call, and so the upstream.
        call.cancel()
    yield DONE


ROUTES = [
    Route("/chat/completions", chat_completions, methods=["POST"]),
]

"""``/responses``: OpenAI's Responses API, served by the chat core (ResponsesService).

The body travels to the core as the client's JSON bytes (the Responses request is a wide
union of item types; the core translates it into the typed chat request, after
authentication, so a 401 comes before any 400). A stream is Server-Sent Events of the
Responses kind, ``event: <type>`` then ``data: <json>``, with no ``[DONE]``; as for chat,
its headers wait for the core's first events, so a refusal before them is an ordinary
HTTP error, and a failure after them is one ``error`` event.

(``bridge/responses.py`` is the bridge's JSON-answer helper, hence this module's name.)
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
from bridge.core_client import CoreClient
from bridge.openapi_operations import Op
from bridge.prompt_reference import PROMPT_REFERENCE
from bridge.proto_schema import View, request_view
from bridge.responses import REQUEST_ID, call_metadata, request_id
from gate_service.errors import GateError, invalid
from gate_service.proto_convert.errors import from_rpc_error
from gate_service.responses.events import EVENT_TYPES
from spidergate.v1 import responses_pb2 as pb

_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _json_reply(request: Request, raw: bytes, headers: Any) -> Response:
    """The core's JSON as it is (no parse and dump again)."""
    out = {**headers, REQUEST_ID: request_id(request)}
    return Response(raw, media_type="application/json", headers=out)


def _trace(request: Request) -> bool:
    return request.query_params.get("include_route_trace", "").lower() in ("1", "true")


def _wants_stream(raw: bytes) -> bool:
    """Whether the body asks for a stream: a cheap look before the core parses it all
    (a body that is not an object is the core's to refuse)."""
    if b'"stream"' not in raw:
        return False
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    return isinstance(body, dict) and body.get("stream") is True


async def create_response(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    raw = await request.body()
    rid = request_id(request)
    metadata = call_metadata(request, rid)
    if _wants_stream(raw):
        return await _stream(
            core,
            pb.StreamResponseRequest(request_json=raw, include_route_trace=_trace(request)),
            metadata,
            rid,
        )
    reply = await core.responses.CreateResponse(
        pb.CreateResponseRequest(request_json=raw, include_route_trace=_trace(request)),
        metadata=metadata,
    )
    return _json_reply(request, reply.response_json, reply.headers)


def _sse(message: pb.StreamResponseResponse) -> bytes:
    return b"".join(
        b"event: " + e.type.encode() + b"\ndata: " + e.data_json + b"\n\n" for e in message.events
    )


async def _stream(
    core: CoreClient, req: pb.StreamResponseRequest, metadata: Any, rid: str
) -> Response:
    call = core.responses.StreamResponse(req, metadata=metadata)
    first = await call.read()  # a refusal before the first events is an ordinary error
    if first is grpc.aio.EOF:
        raise GateError("upstream_error", "The upstream ended the stream without any event.")
    first = cast(pb.StreamResponseResponse, first)
    return StreamingResponse(
        _events(call, first),
        media_type="text/event-stream",
        headers={**_SSE_HEADERS, **first.headers, REQUEST_ID: rid},
    )


async def _events(call: Any, first: pb.StreamResponseResponse) -> AsyncIterator[bytes]:
    sent = 0  # the events' sequence numbers count from 0, so this is the next one
    try:
        yield _sse(first)
        sent += len(first.events)
        while (message := await call.read()) is not grpc.aio.EOF:
            yield _sse(message)
            sent += len(message.events)
    except grpc.aio.AioRpcError as exc:
        # OpenAI's error event: its own type, the error's code, message and param.
        error = from_rpc_error(exc).envelope()["error"]
        event = {
            "type": "error",
            "code": error["code"],
            "message": error["message"],
            "param": error["param"],
            "sequence_number": sent,
        }
        yield b"event: error\ndata: " + orjson.dumps(event) + b"\n\n"
    finally:
        call.cancel()  # a disconnected client lands here too: cancel the upstream


async def get_response(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    reply = await core.responses.GetResponse(
        pb.GetResponseRequest(response_id=request.path_params["response_id"]),
        metadata=call_metadata(request),
    )
    return _json_reply(request, reply.response_json, reply.headers)


async def delete_response(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    response_id = request.path_params["response_id"]
    reply = await core.responses.DeleteResponse(
        pb.DeleteResponseRequest(response_id=response_id), metadata=call_metadata(request)
    )
    body = {"id": reply.id, "object": "response", "deleted": reply.deleted}
    return responses.reply(request, body, reply.headers)


async def list_input_items(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    query = request.query_params
    message = pb.ListInputItemsRequest(
        response_id=request.path_params["response_id"],
        order=query.get("order", ""),
        after=query.get("after", ""),
        before=query.get("before", ""),
    )
    if limit := query.get("limit"):
        try:
            message.limit = int(limit)
        except ValueError:
            raise invalid("'limit' must be an integer", "limit") from None
    reply = await core.responses.ListInputItems(message, metadata=call_metadata(request))
    return _json_reply(request, reply.list_json, reply.headers)


ROUTES = [
    Route("/responses", create_response, methods=["POST"]),
    Route("/responses/{response_id}", get_response, methods=["GET"]),
    Route("/responses/{response_id}", delete_response, methods=["DELETE"]),
    Route("/responses/{response_id}/input_items", list_input_items, methods=["GET"]),
]


# ------------------------------------------------------------------ OpenAPI

_OPEN: dict[str, Any] = {"type": "object", "additionalProperties": True}
_ERRORS = (
    *("budget_exceeded", "model_not_allowed", "model_not_found", "no_qualifying_model"),
    *("rate_limit_exceeded", "daily_rate_limit_exceeded", "upstream_error", "not_found"),
    *("all_providers_failed", "service_unavailable", "no_openai_key", "upstream_timeout"),
)
_DESCRIPTION = (
    "OpenAI's Responses API, served by the chat core (ledger kind `response`): `input` as "
    "a string or items (messages with input_text/input_image parts, function_call, "
    "function_call_output, reasoning), `instructions`, function `tools`, `tool_choice`, "
    "`text.format`, `max_output_tokens`, `reasoning.effort`, `store` (default true) and "
    "`previous_response_id`. Hosted tools (web_search, file_search, code_interpreter, "
    "computer_use, image_generation, mcp) and `background: true` are a 400 naming them. "
    "Stored responses are kept for `--responses-retention-days` (30 by default). With "
    "`stream: true` the answer is Server-Sent Events `event: <type>` / `data: <json>`."
)
# The JSON of each `data:` line: OpenAI's event objects, all of them carrying their type
# and a sequence number.
_EVENT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": list(EVENT_TYPES)},
        "sequence_number": {"type": "integer", "minimum": 0},
    },
    "required": ["type", "sequence_number"],
    "additionalProperties": True,
}
# One event as it is framed: `event: <type>` then `data: <the event's JSON>`.
_FRAME: dict[str, Any] = {
    "type": "object",
    "description": (
        "Each event is `event: <type>`, `data: <event JSON>` and a blank line (the JSON's "
        "shape: `x-spidergate-event`), from `response.created` to `response.completed` "
        "(or `response.incomplete`); no `[DONE]`. A failure after the first events is one "
        "last `error` event with the error's code, message and param."
    ),
    "properties": {
        "event": {"type": "string", "enum": list(EVENT_TYPES)},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": _EVENT,
        },
    },
    "required": ["event", "data"],
}
_BODY = request_view(
    pb.CreateResponseRequest,
    omit=frozenset({"request_json", "include_route_trace"}),
    add={
        "model": {"type": "string", "minLength": 1, "examples": ["spideriq/fast"]},
        "input": {"anyOf": [{"type": "string"}, {"type": "array", "items": _OPEN}]},
        "stream": {"type": "boolean"},
        "store": {"type": "boolean"},
        **PROMPT_REFERENCE,
    },
    required=("model", "input"),
)
_PATH = View(pb.GetResponseRequest)


def OPERATIONS() -> dict[Callable[..., Any], Op]:
    def stored(summary: str, **kw: Any) -> Op:
        return Op(summary, "responses", _OPEN, scope="gate:chat", errors=("not_found",), **kw)

    return {
        create_response: Op(
            "Create a model response (JSON, or Server-Sent Events with stream: true)",
            "responses",
            _OPEN,
            scope="gate:chat",
            body=_BODY,
            stream=_EVENT,
            stream_frame=_FRAME,
            errors=_ERRORS,
            description=_DESCRIPTION,
        ),
        get_response: stored("A stored response of the caller's brand", path=_PATH),
        delete_response: stored("Delete a stored response", path=_PATH),
        list_input_items: stored(
            "The input items of a stored response (a cursor page)",
            path=_PATH,
            query=request_view(pb.ListInputItemsRequest, omit=frozenset({"response_id"})),
        ),
    }

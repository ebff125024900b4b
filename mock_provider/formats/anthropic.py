"""Anthropic Messages wire format.

Endpoint, under any path prefix: ``POST <prefix>/messages`` (the SDK calls
``<base_url>/v1/messages``), streaming and not.

* Auth: ``x-api-key``, or ``Authorization: Bearer <key>`` - which is what the
  official SDK (2.x) sends for an API key; with neither, Anthropic's 401
  ``authentication_error``.  ``anthropic-version`` is required like the real
  API requires it (400 without it), so a gateway that forgets it fails here
  rather than in production.
* Errors: ``{"type": "error", "error": {"type": ..., "message": ...},
  "request_id": ...}`` with Anthropic's error types per status.
* Streaming: named SSE events in Anthropic's order - ``message_start``
  (empty content, input usage), ``content_block_start``, ``ping``,
  ``content_block_delta`` (``text_delta`` per word or ``input_json_delta``
  fragments, the first one empty), ``content_block_stop``, ``message_delta``
  (stop reason, cumulative usage), ``message_stop``.
* Usage: ``input_tokens`` excludes cache reads, as in the real API; a system
  prompt over ``behaviour.CACHE_TRIGGER_CHARS`` characters reports half of
  the prompt as ``cache_read_input_tokens``.

Request translation and validation live in ``anthropic_request``.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import orjson
from aiohttp import web

from mock_provider.behaviour import Reply, cached_prompt_tokens
from mock_provider.formats.answer import empty_if, json_answer, stream_answer
from mock_provider.formats.anthropic_request import (
    InvalidRequest,
    MessagesRequest,
    parse_messages_request,
)
from mock_provider.formats.base import Call, Endpoint, WireFormat
from mock_provider.formats.sse import named_event

__all__ = ["ANTHROPIC", "MALFORMED_EVENT", "AnthropicFormat", "message_object", "stream_events"]

MALFORMED_EVENT = b"event: content_block_delta\ndata: {not json\n\n"
"""A ``malformed_sse`` event; named, because the SDK skips events it does not know."""
_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
_ERROR_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    404: ("not_found_error", "The requested resource could not be found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "This request would exceed the rate limit for your organization."),
    500: ("api_error", "Internal server error"),
    503: ("overloaded_error", "Overloaded"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}
_RATE_LIMITS = {"requests": "4000", "tokens": "2000000", "input-tokens": "2000000"}
_EXHAUSTED = {"anthropic-ratelimit-requests-remaining": "0"}

_ID_PREFIX = os.urandom(4).hex()
_ids = itertools.count(1)


class AnthropicFormat(WireFormat):
    """The Anthropic wire format: ``x-api-key`` auth, ``{"type": "error"}`` errors."""

    name: ClassVar[str] = "anthropic"

    def endpoints(self) -> list[Endpoint]:
        return [Endpoint("anthropic.messages", "POST", "/messages", messages, self)]

    def api_key(self, request: web.Request) -> str | None:
        key = request.headers.get("x-api-key")
        if key:
            return key
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        return token if scheme.lower() == "bearer" and token else None

    def unauthorized(self) -> web.Response:
        return self.error(401, "x-api-key header is required")

    def error(
        self,
        status: int,
        message: str | None = None,
        *,
        error_type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        """Anthropic's error envelope; ``code`` and ``param`` have no place in it."""
        default_type, default_message = _ERROR_DEFAULTS.get(
            status, ("api_error" if status >= 500 else "invalid_request_error", "Error.")
        )
        request_id = f"req_{_new_id()}"
        body = {
            "type": "error",
            "error": {"type": error_type or default_type, "message": message or default_message},
            "request_id": request_id,
        }
        all_headers = response_headers(request_id)
        if status == 429:
            all_headers.update(_EXHAUSTED)
        if headers:
            all_headers.update(
                (k.lower(), v) for k, v in headers.items() if k.lower() != "content-type"
            )
        return web.Response(
            status=status,
            body=orjson.dumps(body),
            content_type="application/json",
            headers=all_headers,
        )


def response_headers(request_id: str) -> dict[str, str]:
    """Anthropic's per-response headers: ``request-id`` and the rate-limit family."""
    reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
    headers = {"request-id": request_id, "anthropic-organization-id": "mock-org"}
    for family, limit in _RATE_LIMITS.items():
        headers[f"anthropic-ratelimit-{family}-limit"] = limit
        headers[f"anthropic-ratelimit-{family}-remaining"] = str(int(limit) - 1)
        headers[f"anthropic-ratelimit-{family}-reset"] = reset
    return headers


def _new_id() -> str:
    return f"{_ID_PREFIX}{next(_ids):016x}"


async def messages(call: Call) -> web.StreamResponse:
    fmt = ANTHROPIC
    if not call.request.headers.get("anthropic-version"):
        return fmt.error(400, "anthropic-version: header is required")
    try:
        params = parse_messages_request(call.body, call.invalid_json)
    except InvalidRequest as exc:
        return fmt.error(400, exc.message)
    reply = empty_if(call.fault, params.decide())
    ident = _new_id()
    message_id = f"msg_01{ident}"
    headers = response_headers(f"req_{ident}")
    usage = usage_object(params, reply)
    if params.stream:
        events = stream_events(message_id, params.model, reply, usage)
        return await stream_answer(call, events, headers, malformed=MALFORMED_EVENT)
    body = message_object(message_id, params.model, reply, usage)
    return json_answer(call, orjson.dumps(body), headers)


def usage_object(params: MessagesRequest, reply: Reply) -> dict[str, Any]:
    """Anthropic usage; ``input_tokens`` excludes what was read from the cache."""
    cached = cached_prompt_tokens(params.system_text, reply.prompt_tokens)
    return {
        "input_tokens": reply.prompt_tokens - cached,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": cached,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": reply.completion_tokens,
        "service_tier": "standard",
    }


def content_blocks(reply: Reply) -> list[dict[str, Any]]:
    """The reply as Anthropic content blocks: one text block, or the tool_use blocks."""
    if reply.tool_calls:
        return [
            {
                "type": "tool_use",
                "id": tool_use_id(call.id),
                "name": call.name,
                "input": orjson.loads(call.arguments),
            }
            for call in reply.tool_calls
        ]
    return [{"type": "text", "text": reply.text or ""}]


def tool_use_id(call_id: str) -> str:
    """``call_<digest>`` -> ``toolu_<digest>``: the same call, in Anthropic's id style."""
    return "toolu_" + call_id.removeprefix("call_")


def stop_fields(reply: Reply) -> tuple[str, str | None]:
    """``stop_reason`` and ``stop_sequence`` for a reply."""
    if reply.stop_sequence is not None:
        return "stop_sequence", reply.stop_sequence
    return _STOP_REASONS.get(reply.finish_reason, "end_turn"), None


def message_object(
    message_id: str, model: str, reply: Reply, usage: dict[str, Any]
) -> dict[str, Any]:
    """A non-streaming Messages response."""
    stop_reason, stop_sequence = stop_fields(reply)
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content_blocks(reply),
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": usage,
    }


def stream_events(message_id: str, model: str, reply: Reply, usage: dict[str, Any]) -> list[bytes]:
    """The named SSE events of a streamed message, in Anthropic's order."""
    start_usage = {**usage, "output_tokens": 1}
    opening: dict[str, Any] = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": start_usage,
    }
    events = [named_event("message_start", {"type": "message_start", "message": opening})]
    for index, block in enumerate(content_blocks(reply)):
        if block["type"] == "tool_use":
            start = {**block, "input": {}}
            deltas = [
                {"type": "input_json_delta", "partial_json": fragment}
                for fragment in ["", *reply.tool_calls[index].fragments()]
            ]
        else:
            start = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": piece} for piece in reply.pieces()]
        events.append(
            named_event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": start},
            )
        )
        if index == 0:
            events.append(named_event("ping", {"type": "ping"}))
        for delta in deltas:
            events.append(
                named_event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        events.append(
            named_event("content_block_stop", {"type": "content_block_stop", "index": index})
        )
    stop_reason, stop_sequence = stop_fields(reply)
    final_usage = {k: v for k, v in usage.items() if k not in ("cache_creation", "service_tier")}
    events.append(
        named_event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence},
                "usage": final_usage,
            },
        )
    )
    events.append(named_event("message_stop", {"type": "message_stop"}))
    return events


ANTHROPIC = AnthropicFormat()
"""The shared instance; formats are stateless."""

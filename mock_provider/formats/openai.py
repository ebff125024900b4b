"""OpenAI chat-completions wire format (also spoken by Groq, OpenRouter, vLLM...).

Endpoints, under any path prefix:

* ``POST <prefix>/chat/completions`` - streaming and non-streaming.
* ``GET  <prefix>/models``           - a static model list.

The shapes copy what api.openai.com sends today, field for field, because the
gateway parses upstream answers and re-serves them to the official SDKs; a
mock that is laxer than the real thing would hide gateway bugs.  Request
validation lives in ``openai_request``.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import orjson
from aiohttp import web

from mock_provider.behaviour import Reply
from mock_provider.formats import openai_audio, openai_embeddings, openai_images
from mock_provider.formats.answer import empty_if, json_answer, stream_answer
from mock_provider.formats.base import Call, Endpoint, WireFormat
from mock_provider.formats.openai_request import ChatRequest, InvalidRequest, parse_chat_request
from mock_provider.formats.sse import DONE, data_event

__all__ = ["MALFORMED_EVENT", "MODELS", "OpenAIFormat", "stream_events"]

SYSTEM_FINGERPRINT = "fp_mock0penai"
MODELS = (
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "o3-mini",
    "o4-mini",
    "text-embedding-3-small",
)
_MODELS_CREATED = 1_700_000_000
_MODELS_BODY = orjson.dumps(
    {
        "object": "list",
        "data": [
            {"id": m, "object": "model", "created": _MODELS_CREATED, "owned_by": "mock-provider"}
            for m in MODELS
        ],
    }
)

MALFORMED_EVENT = b"data: {not json\n\n"
"""What a ``malformed_sse`` fault sends: a data line the SDK cannot parse."""
RATE_LIMIT_HEADERS: Mapping[str, str] = {
    "x-ratelimit-limit-requests": "10000",
    "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-limit-tokens": "30000000",
    "x-ratelimit-remaining-tokens": "29999000",
    "x-ratelimit-reset-tokens": "2ms",
}
"""Static; a ``headers`` fault rule overrides them per request."""
_BASE_HEADERS: Mapping[str, str] = {
    "openai-version": "2020-10-01",
    "openai-organization": "mock-org",
    "openai-processing-ms": "1",
    **RATE_LIMIT_HEADERS,
}
_EXHAUSTED_HEADERS: Mapping[str, str] = {
    "x-ratelimit-remaining-requests": "0",
    "x-ratelimit-remaining-tokens": "0",
}

# Unique ids without uuid4's cost: a per-process random prefix plus a counter.
_ID_PREFIX = os.urandom(4).hex()
_ids = itertools.count(1)

_ERROR_DEFAULTS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", None, "You are not allowed to sample from this model."),
    404: (
        "invalid_request_error",
        "model_not_found",
        "The model does not exist or you do not have access to it.",
    ),
    408: ("timeout", None, "Request timed out."),
    409: ("invalid_request_error", None, "Conflict."),
    422: ("invalid_request_error", None, "Unprocessable entity."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests. Please try again later.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
    504: ("timeout", None, "Gateway timeout."),
}
_NO_KEY_MESSAGE = (
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)


class OpenAIFormat(WireFormat):
    """The OpenAI wire format: bearer-token auth, ``{"error": {...}}`` errors."""

    name: ClassVar[str] = "openai"

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(
                "openai.chat.completions", "POST", "/chat/completions", chat_completions, self
            ),
            Endpoint("openai.models", "GET", "/models", list_models, self),
            # The rest of the OpenAI surface, one module per kind of call.
            *openai_embeddings.endpoints(self),
            *openai_images.endpoints(self),
            *openai_audio.endpoints(self),
        ]

    def api_key(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        token = token.strip()
        return token if scheme.lower() == "bearer" and token else None

    def unauthorized(self) -> web.Response:
        return _error_response(401, _NO_KEY_MESSAGE, "invalid_request_error", None, None, None)

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
        """OpenAI's error envelope; ``None`` fields take the usual values for the status."""
        default_type, default_code, default_message = _ERROR_DEFAULTS.get(
            status,
            ("server_error" if status >= 500 else "invalid_request_error", None, "Error."),
        )
        return _error_response(
            status,
            default_message if message is None else message,
            error_type or default_type,
            default_code if code is None else code,
            param,
            headers,
        )


def _error_response(
    status: int,
    message: str,
    error_type: str,
    code: str | None,
    param: str | None,
    headers: Mapping[str, str] | None,
) -> web.Response:
    body = {"error": {"message": message, "type": error_type, "param": param, "code": code}}
    all_headers = response_headers(_new_id())
    if status == 429:
        all_headers.update(_EXHAUSTED_HEADERS)
    if headers:  # scripted headers win, except the content type we set ourselves
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
    """OpenAI's per-response headers, including the rate-limit family."""
    headers = dict(_BASE_HEADERS)
    headers["x-request-id"] = f"req_{request_id}"
    return headers


def _new_id() -> str:
    return f"{_ID_PREFIX}{next(_ids):020x}"


async def list_models(call: Call) -> web.StreamResponse:
    return web.Response(
        body=_MODELS_BODY, content_type="application/json", headers=response_headers(_new_id())
    )


async def chat_completions(call: Call) -> web.StreamResponse:
    fmt = OPENAI
    try:
        params = parse_chat_request(call.body, call.invalid_json)
    except InvalidRequest as exc:
        return fmt.error(400, exc.message, code=exc.code, param=exc.param)
    reply = empty_if(call.fault, params.decide())
    ident = _new_id()
    completion_id = f"chatcmpl-{ident}"
    created = int(time.time())
    headers = response_headers(ident)
    if params.stream:
        events = stream_events(
            completion_id, created, params.model, reply, params.include_usage, params
        )
        return await stream_answer(call, events, headers, malformed=MALFORMED_EVENT)
    body = completion_object(completion_id, created, params.model, reply, params)
    return json_answer(call, orjson.dumps(body), headers)


def logprobs_object(pieces: list[str], top: int | None) -> dict[str, Any] | None:
    """Made-up ``logprobs`` for the text pieces (None when they were not asked for)."""
    if top is None:
        return None

    def entry(token: str, logprob: float) -> dict[str, Any]:
        return {"token": token, "logprob": logprob, "bytes": list(token.encode())}

    content = [
        {**entry(p, -0.25), "top_logprobs": [entry(p, -0.25 - k) for k in range(top)]}
        for p in pieces
    ]
    return {"content": content, "refusal": None}


def completion_object(
    completion_id: str,
    created: int,
    model: str,
    reply: Reply,
    params: ChatRequest | None = None,
) -> dict[str, Any]:
    """A non-streaming ``chat.completion``: ``n`` identical choices (the mock is
    deterministic), with ``logprobs`` when asked."""
    n = params.n if params else 1
    top = params.logprobs if params else None
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in reply.tool_calls
        ]
    message["refusal"] = None
    message["annotations"] = []
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": index,
                "message": message,
                "logprobs": logprobs_object(reply.pieces(), top),
                "finish_reason": reply.finish_reason,
            }
            for index in range(n)
        ],
        "usage": usage_object(reply, n),
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }


def usage_object(reply: Reply, n: int = 1) -> dict[str, Any]:
    """Usage; ``n`` choices cost ``n`` times the completion (the prompt is read once)."""
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens * n,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens * n,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def stream_events(
    completion_id: str,
    created: int,
    model: str,
    reply: Reply,
    include_usage: bool,
    params: ChatRequest | None = None,
) -> list[bytes]:
    """The SSE events of a streamed completion, exactly in OpenAI's order.

    role delta -> content (or tool-call) deltas -> empty delta with
    finish_reason -> usage chunk (only with ``include_usage``) -> ``[DONE]``.
    With ``include_usage`` every other chunk carries ``"usage": null``. ``n`` choices
    stream one after the other (each chunk names its index); a content delta carries
    its ``logprobs`` when asked.
    """
    n = params.n if params else 1
    top = params.logprobs if params else None

    def chunk(
        choice: int, delta: dict[str, Any], finish_reason: str | None = None, probs: Any = None
    ) -> bytes:
        payload: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": [
                {"index": choice, "delta": delta, "logprobs": probs, "finish_reason": finish_reason}
            ],
        }
        if include_usage:
            payload["usage"] = None
        return data_event(payload)

    events: list[bytes] = []
    for choice in range(n):
        if reply.tool_calls:
            for index, call in enumerate(reply.tool_calls):
                opening = {
                    "index": index,
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": ""},
                }
                if index == 0:
                    delta = {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [opening],
                        "refusal": None,
                    }
                else:
                    delta = {"tool_calls": [opening]}
                events.append(chunk(choice, delta))
                for fragment in call.fragments():
                    fragment_delta = {"index": index, "function": {"arguments": fragment}}
                    events.append(chunk(choice, {"tool_calls": [fragment_delta]}))
        else:
            events.append(chunk(choice, {"role": "assistant", "content": "", "refusal": None}))
            for piece in reply.pieces():
                probs = logprobs_object([piece], top)
                events.append(chunk(choice, {"content": piece}, probs=probs))
        events.append(chunk(choice, {}, reply.finish_reason))
    if include_usage:
        events.append(
            data_event(
                {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "service_tier": "default",
                    "system_fingerprint": SYSTEM_FINGERPRINT,
                    "choices": [],
                    "usage": usage_object(reply, n),
                }
            )
        )
    events.append(DONE)
    return events


OPENAI = OpenAIFormat()
"""The shared instance; formats are stateless."""

"""Gemini (Google AI ``generativelanguage``) wire format.

Endpoints, under any path prefix (the SDK calls
``<base_url>/<api_version>/models/{model}:generateContent``):

* ``POST <prefix>/models/{model}:generateContent``
* ``POST <prefix>/models/{model}:streamGenerateContent?alt=sse`` - SSE events
  ``data: <GenerateContentResponse>\\r\\n\\r\\n``, no ``[DONE]``.  Without
  ``alt=sse`` the stream is one JSON array of responses, as the real API sends.

The recorded prefix is what precedes ``/models/`` (``/v1beta``,
``/gemini/v1beta``...) and the model comes from the path, not the body.

* Auth: ``x-goog-api-key`` header or ``key`` query parameter; a missing key
  is Gemini's 403 ``PERMISSION_DENIED``.
* Errors: ``{"error": {"code": 429, "message": ..., "status":
  "RESOURCE_EXHAUSTED"}}``; a fault's ``error_type`` overrides ``status``.
* Streaming: one text piece per event; a function call comes whole in one
  event; the last event carries ``finishReason`` and the full usage, earlier
  ones a partial usage (prompt and total only) like the real API.
* Usage: ``cachedContentTokenCount`` (a subset of ``promptTokenCount``) only
  when the system instruction is long enough to count as a cache hit (see
  ``behaviour.cached_prompt_tokens``); ``thoughtsTokenCount`` only for
  models whose name contains ``2.5`` (:func:`thought_tokens`).  As in the real
  API, ``totalTokenCount`` = prompt + candidates + thoughts.

Request translation and validation live in ``gemini_request``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from typing import Any, ClassVar

import orjson
from aiohttp import web

from mock_provider.behaviour import Reply, cached_prompt_tokens, split_pieces
from mock_provider.formats import gemini_embeddings
from mock_provider.formats.answer import empty_if, json_answer, stream_answer
from mock_provider.formats.base import Call, Endpoint, WireFormat
from mock_provider.formats.gemini_request import (
    GenerateRequest,
    InvalidRequest,
    parse_generate_request,
)
from mock_provider.formats.sse import crlf_data_event

__all__ = ["GEMINI", "GeminiFormat", "response_object", "stream_events", "thought_tokens"]

_MODELS_SEGMENT = "/models/"
_JSON = "application/json"
_SSE_MALFORMED = b"data: {not json\r\n\r\n"
_ARRAY_MALFORMED = b",\r\n{not json"
_STATUS: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: (
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential.",
    ),
    403: (
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity). "
        "Please use API Key or other form of API consumer identity to call this API.",
    ),
    404: ("NOT_FOUND", "Requested entity was not found."),
    409: ("ABORTED", "The operation was aborted."),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    499: ("CANCELLED", "The operation was cancelled."),
    500: (
        "INTERNAL",
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    ),
    501: ("NOT_IMPLEMENTED", "Method not implemented."),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
}

_ID_PREFIX = os.urandom(4).hex()
_ids = itertools.count(1)


class GeminiFormat(WireFormat):
    """The Gemini wire format: API key in header or query, ``google.rpc.Status`` errors."""

    name: ClassVar[str] = "gemini"

    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(
                "gemini.generate_content",
                "POST",
                ":generateContent",
                generate_content,
                self,
                _has_model_segment,
            ),
            Endpoint(
                "gemini.stream_generate_content",
                "POST",
                ":streamGenerateContent",
                stream_generate_content,
                self,
                _has_model_segment,
            ),
            *gemini_embeddings.endpoints(self, _has_model_segment),
        ]

    def api_key(self, request: web.Request) -> str | None:
        return request.headers.get("x-goog-api-key") or request.query.get("key") or None

    def model_of(self, request: web.Request, body: Any) -> str | None:
        path = request.path
        start = path.rfind(_MODELS_SEGMENT) + len(_MODELS_SEGMENT)
        return path[start : path.rfind(":")] or None

    def prefix_of(self, endpoint: Endpoint, path: str) -> str:
        return path[: path.rfind(_MODELS_SEGMENT)]

    def unauthorized(self) -> web.Response:
        return self.error(403)

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
        """Gemini's ``{"error": {code, message, status}}``; ``error_type`` sets ``status``."""
        default_status, default_message = _STATUS.get(
            status, ("INTERNAL" if status >= 500 else "FAILED_PRECONDITION", "Error.")
        )
        body = {
            "error": {
                "code": status,
                "message": message or default_message,
                "status": error_type or default_status,
            }
        }
        all_headers = {
            k.lower(): v for k, v in (headers or {}).items() if k.lower() != "content-type"
        }
        return web.Response(
            status=status,
            body=orjson.dumps(body),
            content_type=_JSON,
            charset="UTF-8",
            headers=all_headers,
        )


def _has_model_segment(request: web.Request) -> bool:
    return _MODELS_SEGMENT in request.path


def thought_tokens(model: str, reply: Reply) -> int:
    """Reasoning tokens a thinking model reports: 2 per output token + 8, for "2.5" models.

    Deterministic and never zero for those models, so the gateway can test its
    reasoning-token accounting; other models do not think (and omit the field).
    """
    return 2 * reply.completion_tokens + 8 if "2.5" in model else 0


def _new_id() -> str:
    return f"{_ID_PREFIX}{next(_ids):012x}"


async def generate_content(call: Call) -> web.StreamResponse:
    parsed = _parse(call)
    if isinstance(parsed, web.Response):
        return parsed
    params, reply = parsed
    body = response_object(params, reply, _new_id())
    return json_answer(call, orjson.dumps(body), {}, _JSON, "UTF-8")


async def stream_generate_content(call: Call) -> web.StreamResponse:
    parsed = _parse(call)
    if isinstance(parsed, web.Response):
        return parsed
    params, reply = parsed
    payloads = stream_events(params, reply, _new_id())
    if call.request.query.get("alt") == "sse":
        events = [crlf_data_event(payload) for payload in payloads]
        return await stream_answer(call, events, {}, malformed=_SSE_MALFORMED)
    # No alt=sse: one JSON array, streamed element by element.
    events = [(b"[" if i == 0 else b",\r\n") + orjson.dumps(p) for i, p in enumerate(payloads)]
    events.append(b"]")
    return await stream_answer(
        call, events, {}, malformed=_ARRAY_MALFORMED, content_type=_JSON, charset="UTF-8"
    )


def _parse(call: Call) -> tuple[GenerateRequest, Reply] | web.Response:
    try:
        params = parse_generate_request(call.model or "", call.body, call.invalid_json)
    except InvalidRequest as exc:
        return GEMINI.error(400, exc.message)
    return params, empty_if(call.fault, params.decide())


def usage_metadata(params: GenerateRequest, reply: Reply, *, final: bool = True) -> dict[str, Any]:
    """``usageMetadata``; a non-final stream chunk reports the prompt side only."""
    prompt = reply.prompt_tokens
    candidates = reply.completion_tokens * params.candidate_count if final else 0
    thoughts = thought_tokens(params.model, reply)
    cached = cached_prompt_tokens(params.system_text, prompt)
    usage: dict[str, Any] = {"promptTokenCount": prompt}
    if final:
        usage["candidatesTokenCount"] = candidates
    usage["totalTokenCount"] = prompt + candidates + thoughts
    if cached:
        usage["cachedContentTokenCount"] = cached
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
    if cached:
        usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": cached}]
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage


def _parts(reply: Reply) -> list[dict[str, Any]]:
    if reply.tool_calls:
        return [
            {"functionCall": {"name": call.name, "args": orjson.loads(call.arguments)}}
            for call in reply.tool_calls
        ]
    return [{"text": reply.text or ""}]


def _candidates(
    params: GenerateRequest, parts: list[dict[str, Any]], finish_reason: str | None
) -> list[dict[str, Any]]:
    """``candidateCount`` candidates (the mock is deterministic: all the same), each with
    a ``logprobsResult`` for its text when ``responseLogprobs`` was asked."""
    out = []
    for index in range(params.candidate_count):
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
        if finish_reason is not None:
            candidate["finishReason"] = finish_reason
        if params.logprobs is not None:
            candidate["logprobsResult"] = _logprobs_result(parts, params.logprobs)
        candidate["index"] = index
        out.append(candidate)
    return out


def _logprobs_result(parts: list[dict[str, Any]], top: int) -> dict[str, Any]:
    """One chosen token per text piece, with ``top`` made-up alternatives each."""
    tokens = [piece for part in parts for piece in split_pieces(str(part.get("text") or ""))]
    chosen = [{"token": t, "logProbability": -0.25} for t in tokens]
    alternatives = [
        {"candidates": [{"token": t, "logProbability": -0.25 - k} for k in range(top)]}
        for t in tokens
    ]
    return {"topCandidates": alternatives, "chosenCandidates": chosen}


def _finish_reason(reply: Reply) -> str:
    return "MAX_TOKENS" if reply.finish_reason == "length" else "STOP"


def response_object(params: GenerateRequest, reply: Reply, response_id: str) -> dict[str, Any]:
    """A non-streaming ``GenerateContentResponse``."""
    return {
        "candidates": _candidates(params, _parts(reply), _finish_reason(reply)),
        "usageMetadata": usage_metadata(params, reply),
        "modelVersion": params.model,
        "responseId": response_id,
    }


def stream_events(params: GenerateRequest, reply: Reply, response_id: str) -> list[dict[str, Any]]:
    """The ``GenerateContentResponse`` chunks of a stream (framing is the caller's)."""
    if reply.tool_calls or not reply.pieces():
        chunks = [_parts(reply)]
    else:
        chunks = [[{"text": piece}] for piece in reply.pieces()]
    last = len(chunks) - 1
    partial_usage = usage_metadata(params, reply, final=False)
    return [
        {
            "candidates": _candidates(params, parts, _finish_reason(reply) if i == last else None),
            "usageMetadata": usage_metadata(params, reply) if i == last else partial_usage,
            "modelVersion": params.model,
            "responseId": response_id,
        }
        for i, parts in enumerate(chunks)
    ]


GEMINI = GeminiFormat()
"""The shared instance; formats are stateless."""

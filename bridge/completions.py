"""``POST /completions``: OpenAI's legacy text completions, served as chat.

A translation at the edge and nothing else: the body becomes one chat request
(:mod:`gate_service.proto_convert.completions_json`, which says how each parameter is
honoured or refused; ``request_kind="completion"``, the ledger's kind), served by the chat
RPCs as any chat request is (routing, governance, cache, ledger), and the answer is
turned back into a ``text_completion`` here: ``id`` ``cmpl-...``, ``choices[].text``
(with the prompt before it for ``echo``), ``logprobs`` in the legacy shape (``tokens``,
``token_logprobs``, ``top_logprobs``, ``text_offset``), ``usage``; streamed, the same
objects as ``data:`` events, then ``data: [DONE]``. Errors are the chat route's: JSON
before the first event, one ``data: {"error": ...}`` event after it. A body that cannot
be translated goes to the core untyped, which translates it again after authentication
and answers the 400 (401 first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge import responses
from bridge.body import read_json
from bridge.chat import sse, stream_response, wants_route_trace
from bridge.core_client import CoreClient
from bridge.openapi_operations import Op
from bridge.openapi_views import array, chat_request, nullable, obj
from bridge.proto_schema import View
from bridge.responses import call_metadata, request_id
from gate_service.errors import GateError
from gate_service.proto_convert.completion import chunk_from_proto, completion_from_proto
from gate_service.proto_convert.completions_json import (
    KIND,
    MAX_LOGPROBS,
    LegacyCompletion,
    completion_to_chat,
)
from gate_service.proto_convert.request_json import request_to_proto
from spidergate.v1 import chat_pb2, common_pb2, stream_pb2

OBJECT = "text_completion"
# What a chat answer keeps when it becomes a text completion, besides its choices.
_KEPT = ("created", "model", "usage", "system_fingerprint", "spidergate_metadata", "route_trace")

Parsed = tuple[common_pb2.ChatCompletionRequest, LegacyCompletion | None]


def _to_proto(body: dict[str, Any]) -> Parsed:
    legacy = completion_to_chat(body)
    chat = request_to_proto(legacy.chat)
    chat.request_kind = KIND
    return chat, legacy


def _untyped(raw: bytes) -> Parsed:
    """A body that could not be translated, forwarded whole for the core to refuse."""
    return common_pb2.ChatCompletionRequest(extra_json=raw, request_kind=KIND), None


def _cmpl_id(chat_id: str) -> str:
    return "cmpl-" + chat_id.removeprefix("chatcmpl-")


@dataclass(slots=True)
class TextOffsets:
    """Where each choice's text has got to (``logprobs.text_offset`` counts from it)."""

    at: dict[int, int] = field(default_factory=dict)

    def take(self, index: int, text: str) -> int:
        start = self.at.get(index, 0)
        self.at[index] = start + len(text)
        return start


def legacy_logprobs(chat: Any, start: int = 0) -> dict[str, Any] | None:
    """Chat's ``logprobs`` (``content``: token, logprob, top_logprobs) in the legacy shape,
    the text's offsets counted from ``start``; None when the answer had none."""
    if not isinstance(chat, dict) or not isinstance(chat.get("content"), list):
        return None
    tokens, offsets, logprobs, tops = [], [], [], []
    at = start
    for item in chat["content"]:
        token = str(item.get("token", ""))
        tokens.append(token)
        logprobs.append(item.get("logprob"))
        tops.append({t["token"]: t["logprob"] for t in item.get("top_logprobs") or ()})
        offsets.append(at)
        at += len(token)
    return {
        "tokens": tokens,
        "token_logprobs": logprobs,
        "top_logprobs": tops,
        "text_offset": offsets,
    }


def text_completion(chat: dict[str, Any], legacy: LegacyCompletion) -> dict[str, Any]:
    """A ``chat.completion`` as the ``text_completion`` it answers."""
    choices = []
    for choice in chat["choices"]:
        text = (choice.get("message") or {}).get("content") or ""
        logprobs = legacy_logprobs(choice.get("logprobs"))
        choices.append(
            {
                "text": legacy.prompt + text if legacy.echo else text,
                "index": choice["index"],
                "logprobs": logprobs if legacy.logprobs is not None else None,
                "finish_reason": choice.get("finish_reason"),
            }
        )
    kept = {k: chat[k] for k in _KEPT if k in chat}
    return {"id": _cmpl_id(chat["id"]), "object": OBJECT, **kept, "choices": choices}


def text_chunk(
    chunk: dict[str, Any], legacy: LegacyCompletion, offsets: TextOffsets
) -> dict[str, Any] | None:
    """A ``chat.completion.chunk`` as a streamed ``text_completion``; None when it says
    nothing a text completion has (the role-only first delta)."""
    choices = []
    for choice in chunk["choices"]:
        index = choice["index"]
        text = (choice.get("delta") or {}).get("content") or ""
        if legacy.echo and index not in offsets.at:
            text = legacy.prompt + text
        finish = choice.get("finish_reason")
        if not text and finish is None:
            continue  # the role-only first delta: nothing a text completion has
        start = offsets.take(index, text)
        logprobs = legacy_logprobs(choice.get("logprobs"), start)
        choices.append(
            {
                "text": text,
                "index": index,
                "logprobs": logprobs if legacy.logprobs is not None else None,
                "finish_reason": finish,
            }
        )
    if not choices and chunk.get("usage") is None:
        return None
    kept = {k: chunk[k] for k in _KEPT if k in chunk}
    return {"id": _cmpl_id(chunk["id"]), "object": OBJECT, **kept, "choices": choices}


async def create_completion(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    rid = request_id(request)
    chat, legacy = await read_json(request, _to_proto, _untyped)
    chat.include_route_trace = wants_route_trace(request)
    metadata = call_metadata(request, rid)
    if legacy is None:  # untyped: the core refuses it (after authentication)
        await core.chat.CreateChatCompletion(
            chat_pb2.CreateChatCompletionRequest(request=chat), metadata=metadata
        )
        raise GateError("internal_error", "The core accepted an untranslated completion.")
    if chat.stream:
        return await _stream(core, chat, legacy, metadata, rid)
    reply = await core.chat.CreateChatCompletion(
        chat_pb2.CreateChatCompletionRequest(request=chat), metadata=metadata
    )
    answer = text_completion(completion_from_proto(reply.completion), legacy)
    return responses.reply(request, answer, reply.headers)


async def _stream(
    core: CoreClient,
    chat: common_pb2.ChatCompletionRequest,
    legacy: LegacyCompletion,
    metadata: tuple[tuple[str, str], ...],
    rid: str,
) -> Response:
    offsets = TextOffsets()  # this stream's own: where each choice's text has got to

    def batch(message: stream_pb2.StreamChatCompletionResponse) -> bytes:
        out = (text_chunk(chunk_from_proto(c), legacy, offsets) for c in message.chunks)
        return b"".join(sse(c) for c in out if c is not None)

    return await stream_response(core, chat, metadata, rid, batch)


ROUTES = [
    Route("/completions", create_completion, methods=["POST"]),
]


# ------------------------------------------------------------------ OpenAPI

_ERRORS = (
    *("budget_exceeded", "model_not_allowed", "model_not_found", "no_qualifying_model"),
    *("rate_limit_exceeded", "daily_rate_limit_exceeded", "upstream_error"),
    *("all_providers_failed", "service_unavailable", "upstream_timeout"),
)
_DESCRIPTION = (
    "OpenAI's legacy text completions, served as a chat request with the prompt as the "
    "one user message (any alias or model). `prompt` is a string or an array of one "
    "string; `suffix` (when not empty), several prompts, token-id prompts, `best_of` "
    "above `n`, `logprobs` with `echo`, and chat's `tools`/`functions` (a text completion "
    "has no tool calls) are refused with a 400 naming the parameter; `logprobs` (0-5) is "
    "chat's `logprobs`/`top_logprobs`, answered in the legacy shape; "
    "`max_tokens` defaults to 16, as OpenAI's. Streamed: `data: <text_completion JSON>` "
    "events, then `data: [DONE]`."
)


def _request() -> View:
    """Chat's request without what the prompt replaces or this route refuses, plus the
    legacy keys (``logprobs`` here is the legacy count, not chat's flag)."""
    base = chat_request()
    text = {"type": "string"}
    omit = {
        *("messages", "tools", "tool_choice", "parallel_tool_calls", "response_format"),
        *("logprobs", "top_logprobs", "request_kind"),
    }
    return replace(
        base,
        name="CompletionRequest",
        omit=frozenset({*base.omit, *omit}),
        fields={k: v for k, v in base.fields.items() if k not in omit},
        limits={k: v for k, v in base.limits.items() if k not in omit},
        add={
            "prompt": {"anyOf": [text, array(text, minItems=1, maxItems=1)]},
            "suffix": {"type": "string", "maxLength": 0, "description": "only empty"},
            "echo": {"type": "boolean"},
            "logprobs": {"type": "integer", "minimum": 0, "maximum": MAX_LOGPROBS},
            "best_of": {"type": "integer", "minimum": 1},
        },
        required=("model", "prompt"),
    )


def _answer() -> dict[str, Any]:
    choice = obj(
        {
            "text": {"type": "string"},
            "index": {"type": "integer"},
            "logprobs": nullable({"type": "object"}),
            "finish_reason": nullable({"type": "string"}),
        }
    )
    return {
        **obj(
            {
                "id": {"type": "string", "pattern": "^cmpl-"},
                "object": {"type": "string", "const": OBJECT},
                "created": {"type": "integer"},
                "model": {"type": "string"},
                "choices": array(choice),
            }
        ),
        "additionalProperties": True,
    }


def OPERATIONS() -> dict[Callable[..., Any], Op]:
    return {
        create_completion: Op(
            "Create a text completion (legacy), served as chat",
            "chat",
            _answer(),
            scope="gate:chat",
            body=_request(),
            errors=_ERRORS,
            stream=_answer(),  # each event is a text_completion too
            description=_DESCRIPTION,
        )
    }

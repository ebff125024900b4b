"""A chat completion as an Anthropic Messages API answer, and our errors in Anthropic's
shape: the answer half of the ``/v1/messages`` translation (the request half is
:mod:`gate_service.proto_convert.messages_json`). Pure functions on JSON.

**Errors.** The anthropic SDK picks its exception class by the HTTP status and reads the
message from ``{"type": "error", "error": {"type", "message"}}``. The status stays the
catalogue's (a 503 ``overloaded`` stays 503, not Anthropic's 529: the gateway's own
``Retry-After`` contract is the same on every route); the ``type`` is Anthropic's word for
it, and our reason code rides along as ``error.code`` so a client can still branch on it.

**Stop reasons.** A chat ``finish_reason`` says less than Anthropic's ``stop_reason``:
``stop`` is both a natural end and a stop sequence matched, and no wire format we call
tells which sequence matched through the chat answer, so it is ``end_turn`` with
``stop_sequence: null``.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from gate_service.errors import GateError

Json = dict[str, Any]

# HTTP status -> Anthropic's error type (their documented list); other 5xx are api_error.
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    422: "invalid_request_error",
    429: "rate_limit_error",
    504: "timeout_error",
}
STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def error_type(code: str, status: int) -> str:
    """Anthropic's error ``type`` for our reason ``code`` answered with ``status``."""
    return "overloaded_error" if code == "overloaded" else _ERROR_TYPES.get(status, "api_error")


def error_body(error: GateError) -> Json:
    """``error`` in Anthropic's error shape (its status is unchanged), with our reason
    code and the parameter at fault beside Anthropic's keys."""
    detail: Json = {
        "type": error_type(error.code, error.http_status),
        "message": error.message,
        "code": error.code,
        "param": error.param,
    }
    return {"type": "error", "error": detail}


def message_id(completion_id: str) -> str:
    """``msg_`` and the completion's own id (so the ledger's id is findable from it)."""
    suffix = completion_id.removeprefix("chatcmpl-") or uuid.uuid4().hex
    return f"msg_{suffix}"


def tool_input(arguments: str) -> Any:
    """A tool call's arguments as the ``input`` object; arguments that are not a JSON
    object (a model's broken JSON) are kept whole rather than lost."""
    try:
        value = orjson.loads(arguments or "{}")
    except orjson.JSONDecodeError:
        return {"arguments": arguments}
    return value if isinstance(value, dict) else {"arguments": value}


def usage_of(usage: Json | None) -> Json:
    """Chat usage → Anthropic's: ``input_tokens`` excludes the cached prompt tokens,
    reported apart as ``cache_read_input_tokens`` when the provider said."""
    if not usage:
        return {"input_tokens": 0, "output_tokens": 0}
    prompt = int(usage.get("prompt_tokens") or 0)
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    out: Json = {
        "input_tokens": prompt - int(cached or 0),
        "output_tokens": int(usage.get("completion_tokens") or 0),
    }
    if cached is not None:
        out["cache_read_input_tokens"] = int(cached)
        out["cache_creation_input_tokens"] = 0
    return out


def completion_to_message(completion: Json) -> Json:
    """A chat completion (OpenAI JSON) → an Anthropic ``message``, its first choice."""
    choice = (completion.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    content: list[Json] = []
    if message.get("content"):
        content.append({"type": "text", "text": message["content"]})
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id") or f"toolu_{uuid.uuid4().hex[:24]}",
                "name": fn.get("name", ""),
                "input": tool_input(fn.get("arguments", "")),
            }
        )
    finish = choice.get("finish_reason")
    return {
        "id": message_id(completion.get("id", "")),
        "type": "message",
        "role": "assistant",
        "model": completion.get("model", ""),
        "content": content,
        "stop_reason": STOP_REASONS.get(finish, "end_turn") if finish else None,
        "stop_sequence": None,
        "usage": usage_of(completion.get("usage")),
    }

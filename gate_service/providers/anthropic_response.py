"""Anthropic Messages answer -> a completion (and the pieces streams reuse).

Anthropic reports input tokens in three disjoint buckets (fresh, cache read, cache
write); OpenAI's ``prompt_tokens`` is their sum and ``cached_tokens`` the cache reads, so
cost accounting prices cache hits apart without missing any billed input.
"""

from __future__ import annotations

from typing import Any

from gate_service.domain import Completion, ToolCall, Usage
from gate_service.providers import openai_shapes as shapes
from gate_service.providers.anthropic_request import RESPONSE_TOOL
from gate_service.providers.base import Json
from gate_service.providers.json_codec import compact

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def finish_reason(stop_reason: Any) -> str:
    """OpenAI's ``finish_reason`` for an Anthropic ``stop_reason`` (unknown ones: stop)."""
    return FINISH_REASONS.get(stop_reason, "stop") if isinstance(stop_reason, str) else "stop"


def _count(usage: Json, key: str) -> int:
    value = usage.get(key)
    return value if isinstance(value, int) else 0


def usage(raw: Json) -> Usage:
    """Usage from Anthropic usage (the message's, or merged stream counters)."""
    cache_read = _count(raw, "cache_read_input_tokens")
    prompt = _count(raw, "input_tokens") + cache_read + _count(raw, "cache_creation_input_tokens")
    details = raw.get("output_tokens_details")
    thinking = _count(details, "thinking_tokens") if isinstance(details, dict) else 0
    return shapes.usage(prompt, _count(raw, "output_tokens"), cached=cache_read, reasoning=thinking)


def parse_message(data: Json, created: int, fallback_model: str) -> Completion:
    """The whole answer as a ``chat.completion``.

    Text blocks become the content, ``thinking`` blocks ``reasoning_content`` and
    ``tool_use`` blocks tool calls (arguments as compact JSON text) — except the
    answer tool of an emulated ``response_format``, whose input is the answer: it
    becomes the content, and the answer ends with ``stop``. Server-side tool blocks and
    redacted thinking have no OpenAI counterpart and are skipped.
    """
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[ToolCall] = []
    for block in data.get("content") or []:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str(block.get("text") or ""))
        elif kind == "thinking":
            thoughts.append(str(block.get("thinking") or ""))
        elif kind == "tool_use" and block.get("name") == RESPONSE_TOOL:
            texts.append(compact(block.get("input") or {}))
        elif kind == "tool_use":
            arguments = compact(block.get("input") or {})
            calls.append(
                shapes.tool_call(str(block.get("id") or ""), str(block["name"]), arguments)
            )
    msg = shapes.message(texts, reasoning=thoughts, tool_calls=calls)
    reason = finish_reason(data.get("stop_reason"))
    if reason == "tool_calls" and not calls:  # only the answer tool was called
        reason = "stop"
    raw_usage = data.get("usage")
    return shapes.completion(
        str(data.get("id") or ""),
        str(data.get("model") or fallback_model),
        created,
        [shapes.choice(0, msg, reason)],
        usage(raw_usage) if isinstance(raw_usage, dict) else None,
    )

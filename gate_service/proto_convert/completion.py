"""``ChatCompletion`` and ``ChatCompletionChunk``: OpenAI response JSON ⇄ proto.

The core converts what an adapter produced (OpenAI-shaped dicts) to proto; the bridge
converts back to JSON. Keys the schema does not model ride in ``extra_json``.
"""

from __future__ import annotations

import math
from typing import Any

from gate_service.proto_convert.jsonvalues import (
    INT32,
    INT64,
    dump_extra,
    dump_json,
    load_extra,
    load_json,
)
from gate_service.proto_convert.request import tool_call_from_proto, tool_call_to_proto
from spidergate.v1 import common_pb2 as pb

_USAGE_KEYS = frozenset({"prompt_tokens", "completion_tokens", "total_tokens"})
_MESSAGE_KEYS = frozenset({"role", "content", "tool_calls", "refusal", "reasoning_content"})
_CHOICE_KEYS = frozenset({"index", "message", "delta", "finish_reason", "logprobs"})
_COMPLETION_KEYS = frozenset(
    {
        "id",
        "object",
        "created",
        "model",
        "choices",
        "usage",
        "system_fingerprint",
        "service_tier",
        "spidergate_metadata",
        "route_trace",
    }
)
_CHUNK_KEYS = frozenset(
    {"id", "object", "created", "model", "choices", "usage", "system_fingerprint"}
)
_META_FIELDS = (
    "provider",
    "provider_model",
    "latency_ms",
    "cost_usd",
    "cache_hit",
    "fallback_used",
    "original_model",
    "requested_model",
    "request_id",
)
_ATTEMPT_FIELDS = (
    "provider",
    "model",
    "key",
    "outcome",
    "status",
    "latency_ms",
    "error_code",
    "error_message",
)


def _int(value: Any, bound: int = INT64) -> int:
    """An upstream's number as an integer field holds it: anything but a finite number is
    0, and a value past the field's range is clamped (protobuf would raise, failing an
    answer that is otherwise fine)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    if isinstance(value, float) and not math.isfinite(value):
        return 0
    return max(-bound, min(bound - 1, int(value)))


# ------------------------------------------------------------------------ usage


def usage_to_proto(usage: dict[str, Any]) -> pb.Usage:
    out = pb.Usage(
        prompt_tokens=_int(usage.get("prompt_tokens")),
        completion_tokens=_int(usage.get("completion_tokens")),
        total_tokens=_int(usage.get("total_tokens")),
        extra_json=dump_extra(usage, _USAGE_KEYS),
    )
    prompt_details = usage.get("prompt_tokens_details")
    if isinstance(prompt_details, dict) and prompt_details.get("cached_tokens") is not None:
        out.cached_tokens = _int(prompt_details["cached_tokens"])
    completion_details = usage.get("completion_tokens_details")
    if (
        isinstance(completion_details, dict)
        and completion_details.get("reasoning_tokens") is not None
    ):
        out.reasoning_tokens = _int(completion_details["reasoning_tokens"])
    return out


def usage_from_proto(usage: pb.Usage) -> dict[str, Any]:
    out: dict[str, Any] = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    out.update(load_extra(usage.extra_json))
    # The typed fields win, so a gRPC client that set only them still gets the details.
    if usage.HasField("cached_tokens"):
        out["prompt_tokens_details"] = {
            **(out.get("prompt_tokens_details") or {}),
            "cached_tokens": usage.cached_tokens,
        }
    if usage.HasField("reasoning_tokens"):
        out["completion_tokens_details"] = {
            **(out.get("completion_tokens_details") or {}),
            "reasoning_tokens": usage.reasoning_tokens,
        }
    return out


# ----------------------------------------------------------- messages and deltas


def _fill_message(out: pb.AssistantMessage | pb.ChoiceDelta, msg: dict[str, Any]) -> None:
    for key in ("content", "refusal", "reasoning_content"):
        value = msg.get(key)
        if isinstance(value, str):
            setattr(out, key, value)
    calls = msg.get("tool_calls")
    if isinstance(calls, list):
        out.tool_calls.extend(tool_call_to_proto(c, "tool_calls") for c in calls)
    out.extra_json = dump_extra(msg, _MESSAGE_KEYS)


def _message_dict(msg: pb.AssistantMessage | pb.ChoiceDelta, *, delta: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(msg, pb.AssistantMessage):
        out["role"] = msg.role or "assistant"
    elif msg.HasField("role"):
        out["role"] = msg.role
    if msg.HasField("content") or not delta:
        out["content"] = msg.content if msg.HasField("content") else None
    if msg.tool_calls:
        out["tool_calls"] = [tool_call_from_proto(c) for c in msg.tool_calls]
    if msg.HasField("refusal") or not delta:
        out["refusal"] = msg.refusal if msg.HasField("refusal") else None
    if msg.HasField("reasoning_content"):
        out["reasoning_content"] = msg.reasoning_content
    out.update(load_extra(msg.extra_json))
    return out


# ------------------------------------------------------------------- completion


def completion_to_proto(c: dict[str, Any]) -> pb.ChatCompletion:
    """An OpenAI chat.completion dict (plus SpiderGate extras) -> proto."""
    out = pb.ChatCompletion(
        id=str(c.get("id") or ""),
        object=str(c.get("object") or "chat.completion"),
        created=_int(c.get("created")),
        model=str(c.get("model") or ""),
        system_fingerprint=str(c.get("system_fingerprint") or ""),
        service_tier=str(c.get("service_tier") or ""),
        extra_json=dump_extra(c, _COMPLETION_KEYS),
    )
    for choice in c.get("choices") or ():
        pc = out.choices.add(
            index=_int(choice.get("index"), INT32),
            finish_reason=choice.get("finish_reason") or "",
            logprobs_json=dump_json(choice.get("logprobs")),
            extra_json=dump_extra(choice, _CHOICE_KEYS),
        )
        message = choice.get("message") or {}
        pc.message.role = str(message.get("role") or "assistant")
        _fill_message(pc.message, message)
    if isinstance(usage := c.get("usage"), dict):
        out.usage.CopyFrom(usage_to_proto(usage))
    if isinstance(meta := c.get("spidergate_metadata"), dict):
        known = frozenset(_META_FIELDS)
        for key in _META_FIELDS:
            if meta.get(key) is not None:
                setattr(out.spidergate_metadata, key, meta[key])
        out.spidergate_metadata.extra_json = dump_extra(meta, known)
    for attempt in c.get("route_trace") or ():
        out.route_trace.add(
            **{k: attempt[k] for k in _ATTEMPT_FIELDS if attempt.get(k) is not None}
        )
    return out


def completion_from_proto(c: pb.ChatCompletion) -> dict[str, Any]:
    """Proto -> the OpenAI chat.completion JSON the client gets."""
    out: dict[str, Any] = {
        "id": c.id,
        "object": c.object or "chat.completion",
        "created": c.created,
        "model": c.model,
        "choices": [
            {
                "index": ch.index,
                "message": _message_dict(ch.message, delta=False),
                "logprobs": load_json(ch.logprobs_json),
                "finish_reason": ch.finish_reason or None,
                **load_extra(ch.extra_json),
            }
            for ch in c.choices
        ],
    }
    if c.HasField("usage"):
        out["usage"] = usage_from_proto(c.usage)
    if c.system_fingerprint:
        out["system_fingerprint"] = c.system_fingerprint
    if c.service_tier:
        out["service_tier"] = c.service_tier
    if c.HasField("spidergate_metadata"):
        m = c.spidergate_metadata
        meta: dict[str, Any] = {
            "provider": m.provider,
            "provider_model": m.provider_model,
            "latency_ms": m.latency_ms,
            "cost_usd": m.cost_usd,
            "cache_hit": m.cache_hit,
            "fallback_used": m.fallback_used,
        }
        for key in ("original_model", "requested_model", "request_id"):
            if value := getattr(m, key):
                meta[key] = value
        meta.update(load_extra(m.extra_json))
        out["spidergate_metadata"] = meta
    if c.route_trace:
        out["route_trace"] = [{k: getattr(a, k) for k in _ATTEMPT_FIELDS} for a in c.route_trace]
    out.update(load_extra(c.extra_json))
    return out


# ------------------------------------------------------------------------ chunk


def chunk_to_proto(c: dict[str, Any]) -> pb.ChatCompletionChunk:
    """An OpenAI chat.completion.chunk dict -> proto."""
    out = pb.ChatCompletionChunk(
        id=str(c.get("id") or ""),
        object=str(c.get("object") or "chat.completion.chunk"),
        created=_int(c.get("created")),
        model=str(c.get("model") or ""),
        system_fingerprint=str(c.get("system_fingerprint") or ""),
        extra_json=dump_extra(c, _CHUNK_KEYS),
    )
    for choice in c.get("choices") or ():
        pc = out.choices.add(
            index=_int(choice.get("index"), INT32),
            finish_reason=choice.get("finish_reason") or "",
            logprobs_json=dump_json(choice.get("logprobs")),
            extra_json=dump_extra(choice, _CHOICE_KEYS),
        )
        delta = choice.get("delta") or {}
        if isinstance(role := delta.get("role"), str):
            pc.delta.role = role
        _fill_message(pc.delta, delta)
        if not pc.HasField("delta"):
            pc.delta.SetInParent()
    if isinstance(usage := c.get("usage"), dict):
        out.usage.CopyFrom(usage_to_proto(usage))
    return out


def chunk_from_proto(c: pb.ChatCompletionChunk) -> dict[str, Any]:
    """Proto -> the chat.completion.chunk JSON of one SSE event."""
    out: dict[str, Any] = {
        "id": c.id,
        "object": c.object or "chat.completion.chunk",
        "created": c.created,
        "model": c.model,
        "choices": [
            {
                "index": ch.index,
                "delta": _message_dict(ch.delta, delta=True),
                "logprobs": load_json(ch.logprobs_json),
                "finish_reason": ch.finish_reason or None,
                **load_extra(ch.extra_json),
            }
            for ch in c.choices
        ],
    }
    if c.system_fingerprint:
        out["system_fingerprint"] = c.system_fingerprint
    if c.HasField("usage"):
        out["usage"] = usage_from_proto(c.usage)
    out.update(load_extra(c.extra_json))
    return out

"""Completions, chunks and usage in their OpenAI JSON form, both ways.

Reading (``*_from_json``) takes what an upstream sent (or the cache stored) and is
lenient, as the proto converters were: a missing or wrongly typed value is the field's
zero, an integer past its proto field's range is clamped (failing an otherwise good
answer helps nobody). Writing (``*_to_json``) gives exactly the dicts the gateway always
answered with.
"""

from __future__ import annotations

import math
from typing import Any

from gate_service.domain.completion import (
    Choice,
    Chunk,
    ChunkChoice,
    Completion,
    Delta,
    Metadata,
    RouteAttempt,
    Usage,
)
from gate_service.domain.openai_request import tool_call_to_json
from gate_service.domain.request import FunctionCall, Json, ToolCall

INT32 = 2**31
INT64 = 2**63

_USAGE_KEYS = frozenset({"prompt_tokens", "completion_tokens", "total_tokens"})
_MESSAGE_KEYS = frozenset({"role", "content", "tool_calls", "refusal", "reasoning_content"})
_CHOICE_KEYS = frozenset({"index", "message", "delta", "finish_reason", "logprobs"})
_CALL_KEYS = frozenset({"index", "id", "type", "function"})
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
_META_TEXT = ("provider", "provider_model", "original_model", "requested_model", "request_id")
_META_KEYS = frozenset((*_META_TEXT, "latency_ms", "cost_usd", "cache_hit", "fallback_used"))
ATTEMPT_KEYS = tuple(RouteAttempt.__dataclass_fields__)


def _int(value: Any, bound: int = INT64) -> int:
    """An upstream's number as an integer field holds it: anything but a finite number is
    0, and a value past the field's range is clamped."""
    if type(value) is int and -bound <= value < bound:
        return value  # the usual case, decided without the checks below
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    if isinstance(value, float) and not math.isfinite(value):
        return 0
    return max(-bound, min(bound - 1, int(value)))


def _str(value: Any) -> str | None:
    return value if type(value) is str else None


def _rest(obj: Json, known: frozenset[str]) -> Json:
    # Nearly every object has only known keys: one set comparison, in C, says so.
    if obj.keys() <= known:
        return {}
    return {k: v for k, v in obj.items() if k not in known}


# ------------------------------------------------------------------- answers: write


def usage_to_json(usage: Usage) -> Json:
    out: Json = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    out.update(usage.extra)
    # The typed fields win over what rode along in the detail objects.
    if usage.cached_tokens is not None:
        out["prompt_tokens_details"] = {
            **(out.get("prompt_tokens_details") or {}),
            "cached_tokens": usage.cached_tokens,
        }
    if usage.reasoning_tokens is not None:
        out["completion_tokens_details"] = {
            **(out.get("completion_tokens_details") or {}),
            "reasoning_tokens": usage.reasoning_tokens,
        }
    return out


def delta_to_json(msg: Delta, *, whole: bool) -> Json:
    """A choice's message (``whole``: role, content and refusal always present) or a
    stream delta (only what the chunk carries)."""
    out: Json = {}
    if whole:
        out["role"] = msg.role or "assistant"
    elif msg.role is not None:
        out["role"] = msg.role
    if msg.content is not None or whole:
        out["content"] = msg.content
    if msg.tool_calls:
        out["tool_calls"] = [tool_call_to_json(c) for c in msg.tool_calls]
    if msg.refusal is not None or whole:
        out["refusal"] = msg.refusal
    if msg.reasoning_content is not None:
        out["reasoning_content"] = msg.reasoning_content
    out.update(msg.extra)
    return out


def metadata_to_json(m: Metadata) -> Json:
    return metadata_json(m, m.extra)


def metadata_json(m: Any, extra: Json) -> Json:
    """``spidergate_metadata`` as the client sees it, from anything with the metadata's
    fields: the domain's :class:`Metadata`, or its proto in the bridge (which writes the
    JSON straight from the proto, without a domain object in between)."""
    out: Json = {
        "provider": m.provider,
        "provider_model": m.provider_model,
        "latency_ms": m.latency_ms,
        "cost_usd": m.cost_usd,
        "cache_hit": m.cache_hit,
        "fallback_used": m.fallback_used,
    }
    for key in ("original_model", "requested_model", "request_id"):
        if value := getattr(m, key):
            out[key] = value
    out.update(extra)
    return out


def attempt_json(a: Any) -> Json:
    """One ``route_trace`` entry, from a :class:`RouteAttempt` or its proto."""
    return {k: getattr(a, k) for k in ATTEMPT_KEYS}


def completion_to_json(c: Completion) -> Json:
    out: Json = {
        "id": c.id,
        "object": c.object or "chat.completion",
        "created": c.created,
        "model": c.model,
        "choices": [
            {
                "index": ch.index,
                "message": delta_to_json(ch.message, whole=True),
                "logprobs": ch.logprobs,
                "finish_reason": ch.finish_reason or None,
                **ch.extra,
            }
            for ch in c.choices
        ],
    }
    if c.usage is not None:
        out["usage"] = usage_to_json(c.usage)
    if c.system_fingerprint:
        out["system_fingerprint"] = c.system_fingerprint
    if c.service_tier:
        out["service_tier"] = c.service_tier
    if c.metadata is not None:
        out["spidergate_metadata"] = metadata_to_json(c.metadata)
    if c.route_trace:
        out["route_trace"] = [attempt_json(a) for a in c.route_trace]
    out.update(c.extra)
    return out


def chunk_to_json(c: Chunk) -> Json:
    out: Json = {
        "id": c.id,
        "object": c.object or "chat.completion.chunk",
        "created": c.created,
        "model": c.model,
        "choices": [
            {
                "index": ch.index,
                "delta": delta_to_json(ch.delta, whole=False),
                "logprobs": ch.logprobs,
                "finish_reason": ch.finish_reason or None,
                **ch.extra,
            }
            for ch in c.choices
        ],
    }
    if c.system_fingerprint:
        out["system_fingerprint"] = c.system_fingerprint
    if c.usage is not None:
        out["usage"] = usage_to_json(c.usage)
    out.update(c.extra)
    return out


# ------------------------------------------------------------------- answers: read


def tool_call_from_json(call: Any) -> ToolCall:
    if not isinstance(call, dict):
        return ToolCall()
    out = ToolCall(
        index=_int(call["index"], INT32) if call.get("index") is not None else None,
        id=_str(call.get("id")),
        type=_str(call.get("type")),
        extra=_rest(call, _CALL_KEYS),
    )
    if isinstance(fn := call.get("function"), dict):
        out.function = FunctionCall(_str(fn.get("name")), _str(fn.get("arguments")))
    return out


def usage_from_json(usage: Json) -> Usage:
    out = Usage(
        prompt_tokens=_int(usage.get("prompt_tokens")),
        completion_tokens=_int(usage.get("completion_tokens")),
        total_tokens=_int(usage.get("total_tokens")),
        extra=_rest(usage, _USAGE_KEYS),
    )
    prompt = usage.get("prompt_tokens_details")
    if isinstance(prompt, dict) and prompt.get("cached_tokens") is not None:
        out.cached_tokens = _int(prompt["cached_tokens"])
    completion = usage.get("completion_tokens_details")
    if isinstance(completion, dict) and completion.get("reasoning_tokens") is not None:
        out.reasoning_tokens = _int(completion["reasoning_tokens"])
    return out


def delta_from_json(msg: Any) -> Delta:
    if type(msg) is not dict:
        return Delta()
    get = msg.get
    calls = get("tool_calls")
    return Delta(
        _str(get("role")),
        _str(get("content")),
        [tool_call_from_json(c) for c in calls] if type(calls) is list else [],
        _str(get("refusal")),
        _str(get("reasoning_content")),
        _rest(msg, _MESSAGE_KEYS),
    )


def _choices(raw: Any) -> list[Json]:
    return [c for c in raw if type(c) is dict] if type(raw) is list else []


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _metadata_from_json(meta: Json) -> Metadata:
    text = {k: str(meta.get(k) or "") for k in _META_TEXT}
    return Metadata(
        **text,
        latency_ms=_num(meta.get("latency_ms")),
        cost_usd=_num(meta.get("cost_usd")),
        cache_hit=meta.get("cache_hit") is True,
        fallback_used=meta.get("fallback_used") is True,
        extra=_rest(meta, _META_KEYS),
    )


def _attempt_from_json(a: Json) -> RouteAttempt:
    return RouteAttempt(
        provider=str(a.get("provider") or ""),
        model=str(a.get("model") or ""),
        key=str(a.get("key") or ""),
        outcome=str(a.get("outcome") or ""),
        status=_int(a.get("status"), INT32),
        latency_ms=_num(a.get("latency_ms")),
        error_code=str(a.get("error_code") or ""),
        error_message=str(a.get("error_message") or ""),
    )


def completion_from_json(c: Json) -> Completion:
    """A ``chat.completion`` dict (an upstream's answer, or a cached one) -> domain."""
    get = c.get
    usage, meta, trace = get("usage"), get("spidergate_metadata"), get("route_trace")
    return Completion(
        str(get("id") or ""),
        str(get("model") or ""),
        _int(get("created")),
        [
            Choice(
                _int(ch.get("index"), INT32),
                delta_from_json(ch.get("message")),
                _str(ch.get("finish_reason")) or None,
                ch.get("logprobs"),
                _rest(ch, _CHOICE_KEYS),
            )
            for ch in _choices(get("choices"))
        ],
        usage_from_json(usage) if type(usage) is dict else None,
        str(get("object") or "chat.completion"),
        str(get("system_fingerprint") or ""),
        str(get("service_tier") or ""),
        _metadata_from_json(meta) if type(meta) is dict else None,
        [_attempt_from_json(a) for a in trace if type(a) is dict] if type(trace) is list else [],
        _rest(c, _COMPLETION_KEYS),
    )


def chunk_from_json(c: Json) -> Chunk:
    """A ``chat.completion.chunk`` dict (an upstream's stream event) -> domain. The
    stream's hot path: one call per event, so it reads each key once, positionally."""
    get = c.get
    usage = get("usage")
    return Chunk(
        str(get("id") or ""),
        str(get("model") or ""),
        _int(get("created")),
        [
            ChunkChoice(
                _int(ch.get("index"), INT32),
                delta_from_json(ch.get("delta")),
                _str(ch.get("finish_reason")) or None,
                ch.get("logprobs"),
                _rest(ch, _CHOICE_KEYS),
            )
            for ch in _choices(get("choices"))
        ],
        usage_from_json(usage) if type(usage) is dict else None,
        str(get("object") or "chat.completion.chunk"),
        str(get("system_fingerprint") or ""),
        _rest(c, _CHUNK_KEYS),
    )

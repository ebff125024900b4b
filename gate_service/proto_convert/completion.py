"""``ChatCompletion`` and ``ChatCompletionChunk``: domain -> proto (the core, once per
answer) and proto -> OpenAI JSON (the bridge). Keys the schema does not model ride in
``extra_json`` (``extra`` in the domain).
"""

from __future__ import annotations

from typing import Any

from gate_service.domain import Chunk, Completion, Delta, ToolCall, Usage
from gate_service.domain.openai_answer import attempt_json, metadata_json
from gate_service.proto_convert.jsonvalues import INT32, INT64, dump_json, load_extra, load_json
from spidergate.v1 import common_pb2 as pb


def _int(value: int, bound: int = INT64) -> int:
    """An integer as the proto field holds it: a value past the field's range is clamped
    (protobuf would raise, failing an answer that is otherwise fine)."""
    return max(-bound, min(bound - 1, value))


# ------------------------------------------------------------------------ usage


def usage_to_proto(usage: Usage) -> pb.Usage:
    out = pb.Usage(
        prompt_tokens=_int(usage.prompt_tokens),
        completion_tokens=_int(usage.completion_tokens),
        total_tokens=_int(usage.total_tokens),
        extra_json=dump_json(usage.extra or None),
    )
    if usage.cached_tokens is not None:
        out.cached_tokens = _int(usage.cached_tokens)
    if usage.reasoning_tokens is not None:
        out.reasoning_tokens = _int(usage.reasoning_tokens)
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


def tool_call_from_proto(call: pb.ToolCall) -> dict[str, Any]:
    """A tool call of an answer as OpenAI JSON (the bridge's side of the answer)."""
    out: dict[str, Any] = {}
    if call.HasField("index"):
        out["index"] = call.index
    if call.id:
        out["id"] = call.id
    if call.type:
        out["type"] = call.type
    if call.HasField("function"):
        fn: dict[str, Any] = {}
        if call.function.name:
            fn["name"] = call.function.name
        fn["arguments"] = call.function.arguments
        out["function"] = fn
    out.update(load_extra(call.extra_json))
    return out


def _tool_call(call: ToolCall) -> pb.ToolCall:
    out = pb.ToolCall(
        id=call.id or "", type=call.type or "", extra_json=dump_json(call.extra or None)
    )
    if call.index is not None:
        out.index = _int(call.index, INT32)
    if call.function is not None:
        out.function.name = call.function.name or ""
        out.function.arguments = call.function.arguments or ""
    return out


def _fill_message(out: pb.AssistantMessage | pb.ChoiceDelta, msg: Delta) -> None:
    if msg.content is not None:
        out.content = msg.content
    if msg.refusal is not None:
        out.refusal = msg.refusal
    if msg.reasoning_content is not None:
        out.reasoning_content = msg.reasoning_content
    if msg.tool_calls:
        out.tool_calls.extend(_tool_call(c) for c in msg.tool_calls)
    if msg.extra:
        out.extra_json = dump_json(msg.extra)


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


def completion_to_proto(c: Completion) -> pb.ChatCompletion:
    """A domain completion (with SpiderGate's metadata and trace) -> proto."""
    out = pb.ChatCompletion(
        id=c.id,
        object=c.object or "chat.completion",
        created=_int(c.created),
        model=c.model,
        system_fingerprint=c.system_fingerprint,
        service_tier=c.service_tier,
        extra_json=dump_json(c.extra or None),
    )
    for choice in c.choices:
        pc = out.choices.add(
            index=_int(choice.index, INT32),
            finish_reason=choice.finish_reason or "",
            logprobs_json=dump_json(choice.logprobs),
            extra_json=dump_json(choice.extra or None),
        )
        pc.message.role = choice.message.role or "assistant"
        _fill_message(pc.message, choice.message)
    if c.usage is not None:
        out.usage.CopyFrom(usage_to_proto(c.usage))
    if (m := c.metadata) is not None:
        out.spidergate_metadata.CopyFrom(
            pb.SpidergateMetadata(
                provider=m.provider,
                provider_model=m.provider_model,
                latency_ms=m.latency_ms,
                cost_usd=m.cost_usd,
                cache_hit=m.cache_hit,
                fallback_used=m.fallback_used,
                original_model=m.original_model,
                requested_model=m.requested_model,
                request_id=m.request_id,
                extra_json=dump_json(m.extra or None),
            )
        )
    for a in c.route_trace:
        out.route_trace.add(
            provider=a.provider,
            model=a.model,
            key=a.key,
            outcome=a.outcome,
            status=a.status,
            latency_ms=a.latency_ms,
            error_code=a.error_code,
            error_message=a.error_message,
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
        out["spidergate_metadata"] = metadata_json(m, load_extra(m.extra_json))
    if c.route_trace:
        out["route_trace"] = [attempt_json(a) for a in c.route_trace]
    out.update(load_extra(c.extra_json))
    return out


# ------------------------------------------------------------------------ chunk


def chunk_to_proto(c: Chunk) -> pb.ChatCompletionChunk:
    """A domain chunk -> proto."""
    out = pb.ChatCompletionChunk(
        id=c.id,
        object=c.object or "chat.completion.chunk",
        created=_int(c.created),
        model=c.model,
        system_fingerprint=c.system_fingerprint,
        extra_json=dump_json(c.extra or None),
    )
    for choice in c.choices:
        pc = out.choices.add(
            index=_int(choice.index, INT32),
            finish_reason=choice.finish_reason or "",
            logprobs_json=dump_json(choice.logprobs),
            extra_json=dump_json(choice.extra or None),
        )
        if choice.delta.role is not None:
            pc.delta.role = choice.delta.role
        _fill_message(pc.delta, choice.delta)
        if not pc.HasField("delta"):
            pc.delta.SetInParent()
    if c.usage is not None:
        out.usage.CopyFrom(usage_to_proto(c.usage))
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

"""``ChatCompletionRequest`` -> the domain's :class:`~gate_service.domain.ChatRequest`:
the core's half of the request edge, run once per request, after authentication.

A request whose ``extra_json`` carries fields the schema models (a body the bridge could
not type, forwarded as-is; or a gRPC client's) has them read with the bridge's strict
code (``request_json``), which raises the 400 naming the parameter. Every free-form JSON
value is bounded in nesting (see ``chat.validation``) as it is loaded, before anything
serialises it again. Keys the schema does not model become ``extra`` at every level.
"""

from __future__ import annotations

from typing import Any

import orjson

from gate_service.chat.validation import DEFAULT_MAX_DEPTH, check_nested
from gate_service.domain import (
    ChatRequest,
    ContentPart,
    FunctionCall,
    FunctionDef,
    ImageUrl,
    Json,
    Message,
    ResponseFormat,
    SpidergateOptions,
    StreamOptions,
    Tool,
    ToolCall,
    ToolChoice,
)
from gate_service.domain.kinds import CHAT_KINDS, RequestKind
from gate_service.errors import invalid
from gate_service.proto_convert.completions_json import completion_to_chat
from gate_service.proto_convert.messages_json import MESSAGES_KEYS, messages_to_chat
from gate_service.proto_convert.request_json import REQUEST_KEYS, request_to_proto
from spidergate.v1 import common_pb2 as pb

Path = tuple[str | int, ...]


class Reader:
    """Loads the ``*_json`` bytes of one request, bounding each value's nesting by where
    it sits (``level``: the depth of the object holding it; the request is level 1)."""

    __slots__ = ("max_depth",)

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth

    def extra(self, raw: bytes, level: int, path: Path) -> Json:
        if not raw:
            return {}
        value = orjson.loads(raw)
        if not isinstance(value, dict):
            return {}
        if value:
            check_nested(value, self.max_depth, level, path)
        return value

    def value(self, raw: bytes, level: int, path: Path) -> Any:
        if not raw:
            return None
        value = orjson.loads(raw)
        if type(value) is dict or type(value) is list:
            check_nested(value, self.max_depth, level, path)
        return value


def tool_call_to_domain(call: pb.ToolCall, read: Reader, level: int, path: Path) -> ToolCall:
    out = ToolCall(
        index=call.index if call.HasField("index") else None,
        id=call.id or None,
        type=call.type or None,
        extra=read.extra(call.extra_json, level, path),
    )
    if call.HasField("function"):
        out.function = FunctionCall(call.function.name or None, call.function.arguments)
    return out


def _part_to_domain(part: pb.ContentPart, read: Reader, path: Path) -> ContentPart:
    out = ContentPart(
        type=part.type,
        text=part.text if part.text or part.type == "text" else None,
        extra=read.extra(part.extra_json, 5, path),
    )
    if part.HasField("image_url"):
        image = part.image_url
        out.image_url = ImageUrl(
            image.url, image.detail or None, read.extra(image.extra_json, 6, (*path, "image_url"))
        )
    return out


def _message_to_domain(m: pb.ChatMessage, read: Reader, i: int) -> Message:
    # The hot loop of a long conversation: positional arguments, and the paths (only
    # needed to name a fault) built only when there is something to walk.
    which = m.WhichOneof("content")
    content: str | list[ContentPart] | None = None
    if which == "text":
        content = m.text
    elif which == "parts":
        content = [
            _part_to_domain(p, read, ("messages", i, "content", j))
            for j, p in enumerate(m.parts.parts)
        ]
    calls = m.tool_calls
    raw = m.extra_json
    return Message(
        m.role,
        content,
        m.name or None,
        [
            tool_call_to_domain(c, read, 5, ("messages", i, "tool_calls", j))
            for j, c in enumerate(calls)
        ]
        if calls
        else [],
        m.tool_call_id or None,
        read.extra(raw, 3, ("messages", i)) if raw else {},
    )


def _tool_to_domain(t: pb.Tool, read: Reader, i: int) -> Tool:
    raw = t.extra_json
    out = Tool(t.type or "function", None, read.extra(raw, 3, ("tools", i)) if raw else {})
    if t.HasField("function"):
        f = t.function
        raw = f.extra_json
        out.function = FunctionDef(
            f.name,
            f.description or None,
            read.value(f.parameters_json, 5, ("tools", i, "function", "parameters")),
            f.strict if f.HasField("strict") else None,
            read.extra(raw, 4, ("tools", i, "function")) if raw else {},
        )
    return out


def _tool_choice_to_domain(c: pb.ToolChoice, read: Reader) -> ToolChoice:
    which = c.WhichOneof("choice")
    if which == "mode":
        return ToolChoice(mode=c.mode)
    if which == "function_name":
        return ToolChoice(function_name=c.function_name)
    return ToolChoice(other=read.value(c.extra_json, 2, ("tool_choice",)))


def options_to_domain(o: pb.SpidergateOptions, read: Reader) -> SpidergateOptions:
    h = o.HasField
    raw = o.extra_json
    return SpidergateOptions(
        o.max_cost_usd if h("max_cost_usd") else None,
        o.cache_enabled if h("cache_enabled") else None,
        o.cache_ttl_seconds if h("cache_ttl_seconds") else None,
        tuple(o.fallback_models),
        tuple(o.preferred_providers),
        tuple(o.excluded_providers),
        o.timeout_ms if h("timeout_ms") else None,
        o.retry_count if h("retry_count") else None,
        read.extra(raw, 2, ("spidergate_options",)) if raw else {},
        present=True,
    )


def request_from_proto(
    req: pb.ChatCompletionRequest, max_depth: int = DEFAULT_MAX_DEPTH
) -> ChatRequest:
    """Proto -> the domain request, once per request, in the core.

    The ``*_json`` fields come as bytes from any gRPC client (and a body the bridge could
    not type arrives whole in ``extra_json``): one that is not JSON (or is nested past
    orjson's 1,024 levels) is a 400, not a crash in the core.
    """
    read = Reader(max_depth)
    try:
        extra = _top_extra(req, read)
        if req.request_kind == "message" and extra.keys() & MESSAGES_KEYS:
            # A Messages API body the bridge could not translate, forwarded untyped (a
            # translated one never keeps these keys among its extras): the same
            # translation now raises its 400, after authentication.
            extra = messages_to_chat(extra)
        elif req.request_kind == "completion" and not req.messages and extra:
            # A /completions body the bridge could not translate, forwarded untyped (a
            # translated one always has its one message): the same translation now
            # raises its 400, after authentication.
            extra = completion_to_chat(extra).chat
        if extra.keys() & REQUEST_KEYS:
            req, extra = _typed(req, extra)
        return _request_to_domain(req, read, extra)
    except orjson.JSONDecodeError:
        raise invalid(
            "The request is not valid JSON (its body, or a JSON field such as extra_json)."
        ) from None


def _top_extra(req: pb.ChatCompletionRequest, read: Reader) -> Json:
    if not req.extra_json:
        return {}
    value = orjson.loads(req.extra_json)
    if not isinstance(value, dict):
        raise invalid("The request body must be a JSON object.")
    if value:
        check_nested(value, read.max_depth, 1, ())
    return value


def _typed(req: pb.ChatCompletionRequest, extra: Json) -> tuple[pb.ChatCompletionRequest, Json]:
    """Fields we model that arrived untyped among the extras (the bridge forwards a body
    it could not type as-is): read them strictly now, which raises the 400 naming the
    parameter; what reads cleanly replaces the typed field of the same name (as the
    extras always won over the typed fields)."""
    typed = request_to_proto(extra)
    merged = pb.ChatCompletionRequest()
    merged.CopyFrom(req)
    merged.extra_json = b""
    for descriptor, _ in typed.ListFields():
        merged.ClearField(descriptor.name)
    merged.MergeFrom(typed)
    return merged, {k: v for k, v in extra.items() if k not in REQUEST_KEYS}


def _request_to_domain(req: pb.ChatCompletionRequest, read: Reader, extra: Json) -> ChatRequest:
    h = req.HasField
    out = ChatRequest(
        req.model,
        [_message_to_domain(m, read, i) for i, m in enumerate(req.messages)],
        req.temperature if h("temperature") else None,
        req.top_p if h("top_p") else None,
        req.n if h("n") else None,
        req.max_tokens if h("max_tokens") else None,
        req.max_completion_tokens if h("max_completion_tokens") else None,
        req.presence_penalty if h("presence_penalty") else None,
        req.frequency_penalty if h("frequency_penalty") else None,
        list(req.stop),
        [_tool_to_domain(t, read, i) for i, t in enumerate(req.tools)],
        _tool_choice_to_domain(req.tool_choice, read) if h("tool_choice") else None,
        req.parallel_tool_calls if h("parallel_tool_calls") else None,
        _response_format(req.response_format, read) if h("response_format") else None,
        req.seed if h("seed") else None,
        req.user or None,
        req.logprobs if h("logprobs") else None,
        req.top_logprobs if h("top_logprobs") else None,
        req.stream if h("stream") else None,
        _stream_options(req.stream_options, read) if h("stream_options") else None,
        options_to_domain(req.spidergate_options, read)
        if h("spidergate_options")
        else SpidergateOptions(),
        req.include_route_trace,
        extra,
    )
    if req.request_kind:
        out.kind = _chat_kind(req.request_kind)
    return out


def _chat_kind(kind: str) -> RequestKind:
    for known in CHAT_KINDS:
        if kind == known:
            return known
    raise invalid(f"request_kind must be one of {', '.join(CHAT_KINDS)}", "request_kind")


def _response_format(f: pb.ResponseFormat, read: Reader) -> ResponseFormat:
    return ResponseFormat(
        f.type,
        read.value(f.json_schema_json, 3, ("response_format", "json_schema")),
        read.extra(f.extra_json, 2, ("response_format",)),
    )


def _stream_options(so: pb.StreamOptions, read: Reader) -> StreamOptions:
    return StreamOptions(
        so.include_usage if so.HasField("include_usage") else None,
        read.extra(so.extra_json, 2, ("stream_options",)),
    )

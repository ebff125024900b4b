"""``ChatCompletionRequest``: client JSON -> proto (the bridge), proto -> the domain's
:class:`~gate_service.domain.ChatRequest` (the core).

``request_to_proto`` reads client JSON strictly: a wrongly typed value is a 400 naming the
parameter. The bridge does not answer that 400 itself (it has not authenticated anyone):
it forwards a body it cannot type as-is, in the request's ``extra_json``, and
``request_from_proto``, in the core and after authentication, finds fields it models among
the extras and reads them with the same strict code, which raises the same 400.
``request_from_proto`` also bounds the nesting of every free-form JSON value (see
``chat.validation``) before anything serialises it again. Keys the schema does not model
travel in ``extra_json`` (``extra`` in the domain) at every level, so nothing is lost.
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
from gate_service.errors import invalid
from gate_service.proto_convert.jsonvalues import (
    as_bool,
    as_dict,
    as_float,
    as_int,
    as_int32,
    as_list,
    as_str,
    dump_extra,
    dump_json,
    load_extra,
)
from spidergate.v1 import common_pb2 as pb

_PART_KEYS = frozenset({"type", "text", "image_url"})
_IMAGE_KEYS = frozenset({"url", "detail"})
_MESSAGE_KEYS = frozenset({"role", "content", "name", "tool_calls", "tool_call_id"})
_CALL_KEYS = frozenset({"index", "id", "type", "function"})
_FUNCTION_KEYS = frozenset({"name", "description", "parameters", "strict"})
_TOOL_KEYS = frozenset({"type", "function"})
_FORMAT_KEYS = frozenset({"type", "json_schema"})
_STREAM_OPTION_KEYS = frozenset({"include_usage"})
_OPTION_KEYS = frozenset(
    {
        "max_cost_usd",
        "cache_enabled",
        "cache_ttl_seconds",
        "fallback_models",
        "preferred_providers",
        "excluded_providers",
        "timeout_ms",
        "retry_count",
    }
)
# Optional scalars of the request: JSON key -> reader. Each maps to the same proto field.
_FLOATS = ("temperature", "top_p", "presence_penalty", "frequency_penalty")
_INTS = ("n", "max_tokens", "max_completion_tokens", "seed", "top_logprobs")
_BOOLS = ("parallel_tool_calls", "logprobs", "stream")
_REQUEST_KEYS = frozenset(
    {
        "model",
        "messages",
        "stop",
        "tools",
        "tool_choice",
        "response_format",
        "user",
        "stream_options",
        "spidergate_options",
        *_FLOATS,
        *_INTS,
        *_BOOLS,
    }
)


# ---------------------------------------------------------------- JSON -> proto


def tool_call_to_proto(call: Any, param: str) -> pb.ToolCall:
    call = as_dict(call, param)
    out = pb.ToolCall(extra_json=dump_extra(call, _CALL_KEYS))
    if (index := call.get("index")) is not None:
        out.index = as_int32(index, f"{param}.index")
    if (cid := call.get("id")) is not None:
        out.id = as_str(cid, f"{param}.id")
    if (ctype := call.get("type")) is not None:
        out.type = as_str(ctype, f"{param}.type")
    if (fn := call.get("function")) is not None:
        fn = as_dict(fn, f"{param}.function")
        if (name := fn.get("name")) is not None:
            out.function.name = as_str(name, f"{param}.function.name")
        if (args := fn.get("arguments")) is not None:
            out.function.arguments = as_str(args, f"{param}.function.arguments")
    return out


def _part_to_proto(part: Any, param: str) -> pb.ContentPart:
    part = as_dict(part, param)
    out = pb.ContentPart(
        type=as_str(part.get("type", ""), f"{param}.type"),
        extra_json=dump_extra(part, _PART_KEYS),
    )
    if (text := part.get("text")) is not None:
        out.text = as_str(text, f"{param}.text")
    if (image := part.get("image_url")) is not None:
        image = as_dict(image, f"{param}.image_url")
        out.image_url.url = as_str(image.get("url", ""), f"{param}.image_url.url")
        if (detail := image.get("detail")) is not None:
            out.image_url.detail = as_str(detail, f"{param}.image_url.detail")
        out.image_url.extra_json = dump_extra(image, _IMAGE_KEYS)
    return out


def _message_to_proto(message: Any, param: str) -> pb.ChatMessage:
    message = as_dict(message, param)
    out = pb.ChatMessage(
        role=as_str(message.get("role", ""), f"{param}.role"),
        extra_json=dump_extra(message, _MESSAGE_KEYS),
    )
    content = message.get("content")
    if isinstance(content, str):
        out.text = content
    elif isinstance(content, list):
        out.parts.SetInParent()
        out.parts.parts.extend(
            _part_to_proto(p, f"{param}.content[{i}]") for i, p in enumerate(content)
        )
    elif content is not None:
        raise invalid(
            f"'{param}.content' must be a string or an array of parts", f"{param}.content"
        )
    if (name := message.get("name")) is not None:
        out.name = as_str(name, f"{param}.name")
    if (calls := message.get("tool_calls")) is not None:
        out.tool_calls.extend(
            tool_call_to_proto(c, f"{param}.tool_calls[{i}]")
            for i, c in enumerate(as_list(calls, f"{param}.tool_calls"))
        )
    if (call_id := message.get("tool_call_id")) is not None:
        out.tool_call_id = as_str(call_id, f"{param}.tool_call_id")
    return out


def _tool_to_proto(tool: Any, param: str) -> pb.Tool:
    tool = as_dict(tool, param)
    out = pb.Tool(
        type=as_str(tool.get("type", "function"), f"{param}.type"),
        extra_json=dump_extra(tool, _TOOL_KEYS),
    )
    if (fn := tool.get("function")) is not None:
        fn = as_dict(fn, f"{param}.function")
        out.function.name = as_str(fn.get("name", ""), f"{param}.function.name")
        if (desc := fn.get("description")) is not None:
            out.function.description = as_str(desc, f"{param}.function.description")
        if "parameters" in fn:
            out.function.parameters_json = dump_json(fn["parameters"])
        if (strict := fn.get("strict")) is not None:
            out.function.strict = as_bool(strict, f"{param}.function.strict")
        out.function.extra_json = dump_extra(fn, _FUNCTION_KEYS)
    return out


def _tool_choice_to_proto(choice: Any) -> pb.ToolChoice:
    if isinstance(choice, str):
        return pb.ToolChoice(mode=choice)
    choice = as_dict(choice, "tool_choice")
    fn = choice.get("function")
    if choice.get("type") == "function" and isinstance(fn, dict) and len(choice) == 2:
        name = as_str(fn.get("name", ""), "tool_choice.function.name")
        if set(fn) == {"name"}:
            return pb.ToolChoice(function_name=name)
    # Any other shape (allowed_tools, custom tools...) passes through untouched.
    return pb.ToolChoice(extra_json=dump_json(choice))


def _options_to_proto(options: Any) -> pb.SpidergateOptions:
    options = as_dict(options, "spidergate_options")
    p = "spidergate_options."
    out = pb.SpidergateOptions(extra_json=dump_extra(options, _OPTION_KEYS))
    if (v := options.get("max_cost_usd")) is not None:
        out.max_cost_usd = as_float(v, p + "max_cost_usd")
    if (v := options.get("cache_enabled")) is not None:
        out.cache_enabled = as_bool(v, p + "cache_enabled")
    for key in ("cache_ttl_seconds", "timeout_ms", "retry_count"):
        if (v := options.get(key)) is not None:
            setattr(out, key, as_int32(v, p + key))
    for key in ("fallback_models", "preferred_providers", "excluded_providers"):
        if (v := options.get(key)) is not None:
            items = as_list(v, p + key)
            getattr(out, key).extend(as_str(s, f"{p}{key}[{i}]") for i, s in enumerate(items))
    return out


def request_to_proto(body: dict[str, Any]) -> pb.ChatCompletionRequest:
    """Client JSON -> proto, rejecting wrongly typed values with a 400 naming the param."""
    out = pb.ChatCompletionRequest(extra_json=dump_extra(body, _REQUEST_KEYS))
    if (model := body.get("model")) is not None:
        out.model = as_str(model, "model")
    if (messages := body.get("messages")) is not None:
        out.messages.extend(
            _message_to_proto(m, f"messages[{i}]")
            for i, m in enumerate(as_list(messages, "messages"))
        )
    for key in _FLOATS:
        if (v := body.get(key)) is not None:
            setattr(out, key, as_float(v, key))
    for key in _INTS:
        if (v := body.get(key)) is not None:
            # seed is the only int64 of them (OpenAI takes any 64-bit seed).
            setattr(out, key, as_int(v, key) if key == "seed" else as_int32(v, key))
    for key in _BOOLS:
        if (v := body.get(key)) is not None:
            setattr(out, key, as_bool(v, key))
    stop = body.get("stop")
    if isinstance(stop, str):
        out.stop.append(stop)
    elif stop is not None:
        out.stop.extend(as_str(s, f"stop[{i}]") for i, s in enumerate(as_list(stop, "stop")))
    if (tools := body.get("tools")) is not None:
        out.tools.extend(
            _tool_to_proto(t, f"tools[{i}]") for i, t in enumerate(as_list(tools, "tools"))
        )
    if (choice := body.get("tool_choice")) is not None:
        out.tool_choice.CopyFrom(_tool_choice_to_proto(choice))
    if (fmt := body.get("response_format")) is not None:
        fmt = as_dict(fmt, "response_format")
        out.response_format.type = as_str(fmt.get("type", ""), "response_format.type")
        if "json_schema" in fmt:
            out.response_format.json_schema_json = dump_json(fmt["json_schema"])
        out.response_format.extra_json = dump_extra(fmt, _FORMAT_KEYS)
    if (user := body.get("user")) is not None:
        out.user = as_str(user, "user")
    if (so := body.get("stream_options")) is not None:
        so = as_dict(so, "stream_options")
        out.stream_options.SetInParent()
        if (inc := so.get("include_usage")) is not None:
            out.stream_options.include_usage = as_bool(inc, "stream_options.include_usage")
        out.stream_options.extra_json = dump_extra(so, _STREAM_OPTION_KEYS)
    if (options := body.get("spidergate_options")) is not None:
        out.spidergate_options.CopyFrom(_options_to_proto(options))
    return out


# ---------------------------------------------------------------- proto -> JSON (bridge)


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


# ---------------------------------------------------------------- proto -> domain (core)

Path = list[str | int]


class _Reader:
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


def tool_call_to_domain(call: pb.ToolCall, read: _Reader, level: int, path: Path) -> ToolCall:
    out = ToolCall(
        index=call.index if call.HasField("index") else None,
        id=call.id or None,
        type=call.type or None,
        extra=read.extra(call.extra_json, level, path),
    )
    if call.HasField("function"):
        out.function = FunctionCall(call.function.name or None, call.function.arguments)
    return out


def _part_to_domain(part: pb.ContentPart, read: _Reader, path: Path) -> ContentPart:
    out = ContentPart(
        type=part.type,
        text=part.text if part.text or part.type == "text" else None,
        extra=read.extra(part.extra_json, 5, path),
    )
    if part.HasField("image_url"):
        image = part.image_url
        out.image_url = ImageUrl(
            image.url, image.detail or None, read.extra(image.extra_json, 6, [*path, "image_url"])
        )
    return out


def _message_to_domain(m: pb.ChatMessage, read: _Reader, i: int) -> Message:
    path: Path = ["messages", i]
    which = m.WhichOneof("content")
    content: str | list[ContentPart] | None = None
    if which == "text":
        content = m.text
    elif which == "parts":
        content = [
            _part_to_domain(p, read, [*path, "content", j]) for j, p in enumerate(m.parts.parts)
        ]
    return Message(
        role=m.role,
        content=content,
        name=m.name or None,
        tool_calls=[
            tool_call_to_domain(c, read, 5, [*path, "tool_calls", j])
            for j, c in enumerate(m.tool_calls)
        ],
        tool_call_id=m.tool_call_id or None,
        extra=read.extra(m.extra_json, 3, path),
    )


def _tool_to_domain(t: pb.Tool, read: _Reader, i: int) -> Tool:
    path: Path = ["tools", i]
    out = Tool(type=t.type or "function", extra=read.extra(t.extra_json, 3, path))
    if t.HasField("function"):
        f = t.function
        fpath: Path = [*path, "function"]
        out.function = FunctionDef(
            name=f.name,
            description=f.description or None,
            parameters=read.value(f.parameters_json, 5, [*fpath, "parameters"]),
            strict=f.strict if f.HasField("strict") else None,
            extra=read.extra(f.extra_json, 4, fpath),
        )
    return out


def _tool_choice_to_domain(c: pb.ToolChoice, read: _Reader) -> ToolChoice:
    which = c.WhichOneof("choice")
    if which == "mode":
        return ToolChoice(mode=c.mode)
    if which == "function_name":
        return ToolChoice(function_name=c.function_name)
    return ToolChoice(other=read.value(c.extra_json, 2, ["tool_choice"]))


def _options_to_domain(o: pb.SpidergateOptions, read: _Reader) -> SpidergateOptions:
    h = o.HasField
    return SpidergateOptions(
        max_cost_usd=o.max_cost_usd if h("max_cost_usd") else None,
        cache_enabled=o.cache_enabled if h("cache_enabled") else None,
        cache_ttl_seconds=o.cache_ttl_seconds if h("cache_ttl_seconds") else None,
        fallback_models=tuple(o.fallback_models),
        preferred_providers=tuple(o.preferred_providers),
        excluded_providers=tuple(o.excluded_providers),
        timeout_ms=o.timeout_ms if h("timeout_ms") else None,
        retry_count=o.retry_count if h("retry_count") else None,
        extra=read.extra(o.extra_json, 2, ["spidergate_options"]),
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
    read = _Reader(max_depth)
    try:
        extra = _top_extra(req, read)
        if extra.keys() & _REQUEST_KEYS:
            req, extra = _typed(req, extra)
        return _request_to_domain(req, read, extra)
    except orjson.JSONDecodeError:
        raise invalid(
            "The request is not valid JSON (its body, or a JSON field such as extra_json)."
        ) from None


def _top_extra(req: pb.ChatCompletionRequest, read: _Reader) -> Json:
    if not req.extra_json:
        return {}
    value = orjson.loads(req.extra_json)
    if not isinstance(value, dict):
        raise invalid("The request body must be a JSON object.")
    if value:
        check_nested(value, read.max_depth, 1, [])
    return value


def _typed(req: pb.ChatCompletionRequest, extra: Json) -> tuple[pb.ChatCompletionRequest, Json]:
    """Fields we model that arrived untyped among the extras (the bridge forwards a body
    it could not type as-is): read them strictly now, which raises the 400 naming the
    parameter; what reads cleanly is merged into the typed fields."""
    typed = request_to_proto(extra)
    merged = pb.ChatCompletionRequest()
    merged.CopyFrom(req)
    merged.extra_json = b""
    merged.MergeFrom(typed)
    return merged, {k: v for k, v in extra.items() if k not in _REQUEST_KEYS}


def _request_to_domain(req: pb.ChatCompletionRequest, read: _Reader, extra: Json) -> ChatRequest:
    h = req.HasField
    out = ChatRequest(
        model=req.model,
        messages=[_message_to_domain(m, read, i) for i, m in enumerate(req.messages)],
        temperature=req.temperature if h("temperature") else None,
        top_p=req.top_p if h("top_p") else None,
        n=req.n if h("n") else None,
        max_tokens=req.max_tokens if h("max_tokens") else None,
        max_completion_tokens=req.max_completion_tokens if h("max_completion_tokens") else None,
        presence_penalty=req.presence_penalty if h("presence_penalty") else None,
        frequency_penalty=req.frequency_penalty if h("frequency_penalty") else None,
        stop=list(req.stop),
        tools=[_tool_to_domain(t, read, i) for i, t in enumerate(req.tools)],
        parallel_tool_calls=req.parallel_tool_calls if h("parallel_tool_calls") else None,
        seed=req.seed if h("seed") else None,
        user=req.user or None,
        logprobs=req.logprobs if h("logprobs") else None,
        top_logprobs=req.top_logprobs if h("top_logprobs") else None,
        stream=req.stream if h("stream") else None,
        include_route_trace=req.include_route_trace,
        extra=extra,
    )
    if h("tool_choice"):
        out.tool_choice = _tool_choice_to_domain(req.tool_choice, read)
    if h("response_format"):
        f = req.response_format
        out.response_format = ResponseFormat(
            type=f.type,
            json_schema=read.value(f.json_schema_json, 3, ["response_format", "json_schema"]),
            extra=read.extra(f.extra_json, 2, ["response_format"]),
        )
    if h("stream_options"):
        so = req.stream_options
        out.stream_options = StreamOptions(
            include_usage=so.include_usage if so.HasField("include_usage") else None,
            extra=read.extra(so.extra_json, 2, ["stream_options"]),
        )
    if h("spidergate_options"):
        out.options = _options_to_domain(req.spidergate_options, read)
    return out

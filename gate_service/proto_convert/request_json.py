"""``ChatCompletionRequest`` from client JSON: the bridge's half of the request edge.

``request_to_proto`` reads client JSON strictly: a wrongly typed value is a 400 naming the
parameter. The bridge does not answer that 400 itself (it has not authenticated anyone):
it forwards a body it cannot type as-is, in the request's ``extra_json``, and the core
(``proto_convert.request``), after authentication, reads the fields it models with this
same code, which raises the same 400. Keys the schema does not model travel in
``extra_json`` at every level, so nothing is lost.
"""

from __future__ import annotations

from typing import Any

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
REQUEST_KEYS = frozenset(
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


def options_to_proto(options: Any) -> pb.SpidergateOptions:
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
    out = pb.ChatCompletionRequest(extra_json=dump_extra(body, REQUEST_KEYS))
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
        out.spidergate_options.CopyFrom(options_to_proto(options))
    return out

"""The chat request in its OpenAI JSON form: the client's body as the core received it,
for the OpenAI-compatible upstream and for the cache key."""

from __future__ import annotations

from gate_service.domain.request import (
    ChatRequest,
    ContentPart,
    Json,
    Message,
    Tool,
    ToolCall,
)


def tool_call_to_json(call: ToolCall) -> Json:
    out: Json = {}
    if call.index is not None:
        out["index"] = call.index
    if call.id is not None:
        out["id"] = call.id
    if call.type is not None:
        out["type"] = call.type
    if call.function is not None:
        fn: Json = {}
        if call.function.name is not None:
            fn["name"] = call.function.name
        fn["arguments"] = call.function.arguments or ""
        out["function"] = fn
    out.update(call.extra)
    return out


def _part_to_json(part: ContentPart) -> Json:
    out: Json = {"type": part.type}
    if part.text or part.type == "text":
        out["text"] = part.text or ""
    if part.image_url is not None:
        image: Json = {"url": part.image_url.url}
        if part.image_url.detail:
            image["detail"] = part.image_url.detail
        image.update(part.image_url.extra)
        out["image_url"] = image
    out.update(part.extra)
    return out


def message_to_json(message: Message) -> Json:
    # Once per message of every request to an OpenAI-compatible upstream: the usual
    # message (text, nothing else) takes the first return.
    content = message.content
    out: Json = {
        "role": message.role,
        "content": [_part_to_json(p) for p in content] if type(content) is list else content,
    }
    if message.name is None and not message.tool_calls and message.tool_call_id is None:
        if message.extra:
            out.update(message.extra)
        return out
    if message.name:
        out["name"] = message.name
    if message.tool_calls:
        out["tool_calls"] = [tool_call_to_json(c) for c in message.tool_calls]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    if message.extra:
        out.update(message.extra)
    return out


def tool_to_json(tool: Tool) -> Json:
    out: Json = {"type": tool.type or "function"}
    if (f := tool.function) is not None:
        fn: Json = {"name": f.name}
        if f.description:
            fn["description"] = f.description
        if f.parameters is not None:
            fn["parameters"] = f.parameters
        if f.strict is not None:
            fn["strict"] = f.strict
        fn.update(f.extra)
        out["function"] = fn
    out.update(tool.extra)
    return out


_SCALARS = (
    "temperature",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "n",
    "max_tokens",
    "max_completion_tokens",
    "seed",
    "top_logprobs",
    "parallel_tool_calls",
    "logprobs",
    "stream",
)


def options_to_json(req: ChatRequest) -> Json:
    o = req.options
    out: Json = {}
    for key in ("max_cost_usd", "cache_enabled", "cache_ttl_seconds", "timeout_ms", "retry_count"):
        if (value := getattr(o, key)) is not None:
            out[key] = value
    for key in ("fallback_models", "preferred_providers", "excluded_providers"):
        if values := getattr(o, key):
            out[key] = list(values)
    out.update(o.extra)
    return out


def request_to_json(req: ChatRequest, *, options: bool = True) -> Json:
    """The request as OpenAI JSON (the client's body, as the core received it);
    ``spidergate_options`` left out when ``options`` is false (never sent upstream)."""
    out: Json = {"model": req.model, "messages": [message_to_json(m) for m in req.messages]}
    for key in _SCALARS:
        if (value := getattr(req, key)) is not None:
            out[key] = value
    if req.stop:
        out["stop"] = req.stop[0] if len(req.stop) == 1 else list(req.stop)
    if req.tools:
        out["tools"] = [tool_to_json(t) for t in req.tools]
    if (choice := req.tool_choice) is not None:
        if choice.mode is not None:
            out["tool_choice"] = choice.mode
        elif choice.function_name is not None:
            out["tool_choice"] = {"type": "function", "function": {"name": choice.function_name}}
        else:
            out["tool_choice"] = choice.other
    if (fmt := req.response_format) is not None:
        f: Json = {"type": fmt.type}
        if fmt.json_schema is not None:
            f["json_schema"] = fmt.json_schema
        f.update(fmt.extra)
        out["response_format"] = f
    if req.user:
        out["user"] = req.user
    if (so := req.stream_options) is not None:
        s: Json = {}
        if so.include_usage is not None:
            s["include_usage"] = so.include_usage
        s.update(so.extra)
        out["stream_options"] = s
    if options and req.options.present:
        out["spidergate_options"] = options_to_json(req)
    if req.extra:
        out.update(req.extra)
    return out

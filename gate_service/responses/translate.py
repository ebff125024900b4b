"""A Responses API request -> the one typed chat request (``ChatRequest``, kind "response").

Pure: no I/O. The stored conversation a ``previous_response_id`` names is read by the
service and handed in as ``context`` (Responses items, the same shapes as ``input``), so
the chat request sees one conversation: context, then this request's input.

What maps where (OpenAI's Responses reference): ``instructions`` -> a leading system
message; message items -> chat messages (``input_text``/``output_text`` -> text parts,
``input_image`` -> an ``image_url`` part); ``function_call`` items -> the assistant's
``tool_calls``; ``function_call_output`` -> a ``tool`` message; ``reasoning`` items are
accepted and left out of the prompt (no upstream takes them back). ``text.format`` ->
``response_format``; ``max_output_tokens`` -> ``max_completion_tokens``;
``reasoning.effort`` -> chat's ``reasoning_effort``. Hosted tools the gateway does not
run are a 400 naming the tool, never silently dropped.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from gate_service.domain import (
    ChatRequest,
    ContentPart,
    FunctionCall,
    FunctionDef,
    ImageUrl,
    Json,
    Message,
    ResponseFormat,
    StreamOptions,
    Tool,
    ToolCall,
    ToolChoice,
)
from gate_service.errors import invalid

HOSTED_TOOLS = (
    "web_search",
    "web_search_preview",
    "file_search",
    "code_interpreter",
    "computer_use",
    "computer_use_preview",
    "image_generation",
    "mcp",
    "local_shell",
)
_ROLES = frozenset({"user", "system", "developer", "assistant"})
# Responses parameters with no chat counterpart whose asked-for value changes nothing here
# (what to include in the answer, truncation off, foreground): accepted, not forwarded.
# The values that would change the answer are refused (``_refuse_unserved``).
_ACCEPTED = frozenset({"include", "truncation", "background", "stream_options", "prompt_cache_key"})
# `include` values that ask for something the answer would silently lack.
_UNSERVED_INCLUDES = frozenset({"message.output_text.logprobs"})
# Keys read by the translation (the rest are passed on as chat's unknown keys).
_KNOWN = frozenset(
    {
        *("model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls"),
        *("text", "max_output_tokens", "temperature", "top_p", "metadata", "user"),
        *("reasoning", "store", "previous_response_id", "stream", "spidergate_options"),
        *_ACCEPTED,
    }
)


def new_id(prefix: str) -> str:
    """An OpenAI-style id: ``resp_``, ``msg_``, ``fc_``... and 32 hex digits."""
    return f"{prefix}_{uuid.uuid4().hex}"


@dataclass(slots=True)
class ResponsesRequest:
    """A translated request: the chat request to serve, and what the Response echoes
    and the store keeps."""

    chat: ChatRequest
    # This request's input as Responses items, each with an id (input_items lists them).
    input_items: list[Json]
    # The Response object's request fields (instructions, tools, text, metadata...).
    echo: Json
    store: bool = True
    stream: bool = False
    previous_response_id: str | None = None
    spidergate_options: Any = None
    extra: Json = field(default_factory=dict)


def _refuse_unserved(body: Json) -> None:
    """A 400 naming the parameter for what the gateway would otherwise ignore while it
    changes the answer: background mode (nothing here queues a response for polling) and
    output logprobs (not carried through yet)."""
    if body.get("background") is True:
        raise invalid(
            "'background' mode is not supported: send the request without it", "background"
        )
    include = body.get("include")
    if include is None:
        return
    if not isinstance(include, list) or not all(isinstance(v, str) for v in include):
        raise invalid("'include' must be a list of strings", "include")
    for value in include:
        if value in _UNSERVED_INCLUDES:
            raise invalid(f"include '{value}' is not supported by this gateway", "include")


def previous_id(body: Json) -> str | None:
    """The ``previous_response_id`` of a body (so the service can read its context)."""
    value = body.get("previous_response_id")
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise invalid("'previous_response_id' must be a response id", "previous_response_id")
    return value


def translate(body: Json, context: list[Json] | None = None) -> ResponsesRequest:
    """The chat request for ``body`` (raises a 400 ``invalid_request`` naming the param)."""
    model = body.get("model")
    if model is None and "prompt" in body:
        model = ""  # the saved prompt's model (validated once the prompt is applied)
    if not isinstance(model, str) or (not model and "prompt" not in body):
        raise invalid("'model' is required", "model")
    items = input_items(body.get("input"))
    _refuse_unserved(body)
    messages: list[Message] = []
    instructions = body.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise invalid("'instructions' must be a string", "instructions")
        messages.append(Message(role="system", content=instructions))
    for item in context or ():
        _add_item(messages, item, "previous_response_id")
    for i, item in enumerate(items):
        _add_item(messages, item, f"input[{i}]")
    chat = ChatRequest(model=model, messages=messages, kind="response")
    chat.tools = _tools(body.get("tools"))
    chat.tool_choice = _tool_choice(body.get("tool_choice"))
    chat.parallel_tool_calls = _opt(body, "parallel_tool_calls", bool)
    chat.response_format = _format(body.get("text"))
    chat.max_completion_tokens = _opt(body, "max_output_tokens", int)
    chat.temperature = _number(body, "temperature")
    chat.top_p = _number(body, "top_p")
    chat.user = _opt(body, "user", str)
    chat.extra = {k: v for k, v in body.items() if k not in _KNOWN}
    if (effort := _effort(body.get("reasoning"))) is not None:
        chat.extra["reasoning_effort"] = effort
    stream = bool(_opt(body, "stream", bool))
    if stream:
        chat.stream = True
        chat.stream_options = StreamOptions(include_usage=True)
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise invalid("'metadata' must be an object", "metadata")
    store = _opt(body, "store", bool)
    echo = {
        "instructions": instructions,
        "max_output_tokens": chat.max_completion_tokens,
        "metadata": metadata or {},
        "parallel_tool_calls": True
        if chat.parallel_tool_calls is None
        else chat.parallel_tool_calls,
        "previous_response_id": previous_id(body),
        "reasoning": {"effort": effort, "summary": None},
        "temperature": chat.temperature,
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": chat.top_p,
        "truncation": body.get("truncation") or "disabled",
        "user": chat.user,
        "store": True if store is None else store,
    }
    return ResponsesRequest(
        chat=chat,
        input_items=items,
        echo=echo,
        store=echo["store"],
        stream=stream,
        previous_response_id=echo["previous_response_id"],
        spidergate_options=body.get("spidergate_options"),
    )


# ------------------------------------------------------------------ input items


def input_items(value: Any) -> list[Json]:
    """``input`` as Responses items with ids: a string is one user message."""
    if isinstance(value, str):
        value = [{"type": "message", "role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise invalid("'input' must be a string or a non-empty list of items", "input")
    items = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise invalid(f"'input[{i}]' must be an object", f"input[{i}]")
        item = dict(item)
        kind = item.setdefault("type", "message")
        if kind == "message" and isinstance(item.get("content"), str):
            part = "output_text" if item.get("role") == "assistant" else "input_text"
            item["content"] = [{"type": part, "text": item["content"]}]
        if "id" not in item:
            item["id"] = new_id(_ID_PREFIX.get(kind, "item"))
        items.append(item)
    return items


_ID_PREFIX = {"message": "msg", "function_call": "fc", "function_call_output": "fco"}


def _add_item(messages: list[Message], item: Json, param: str) -> None:
    kind = item.get("type", "message")
    if kind == "message":
        messages.append(_message(item, param))
    elif kind == "function_call":
        call = ToolCall(
            id=_str(item, "call_id", param),
            type="function",
            function=FunctionCall(_str(item, "name", param), _arguments(item.get("arguments"))),
        )
        last = messages[-1] if messages else None
        if last is not None and last.role == "assistant":
            last.tool_calls.append(call)  # parallel calls: one assistant turn
        else:
            messages.append(Message(role="assistant", tool_calls=[call]))
    elif kind == "function_call_output":
        output = item.get("output")
        if not isinstance(output, str):
            output = _text_of(output) if isinstance(output, list) else orjson.dumps(output).decode()
        messages.append(
            Message(role="tool", tool_call_id=_str(item, "call_id", param), content=output)
        )
    elif kind == "reasoning":
        return  # no upstream takes reasoning back in a prompt
    else:
        raise invalid(
            f"input items of type '{kind}' are not supported by this gateway", f"{param}.type"
        )


def _message(item: Json, param: str) -> Message:
    role = item.get("role")
    if role not in _ROLES:
        raise invalid(f"'{param}.role' must be one of {', '.join(sorted(_ROLES))}", f"{param}.role")
    content = item.get("content")
    if isinstance(content, str):
        return Message(role=role, content=content)
    if not isinstance(content, list):
        raise invalid(f"'{param}.content' must be a string or a list of parts", f"{param}.content")
    parts = [_part(part, f"{param}.content[{j}]") for j, part in enumerate(content)]
    if role != "user" or all(p.type == "text" for p in parts):
        # Instructions and the assistant's own turns are plain text to every upstream.
        return Message(role=role, content="".join(p.text or "" for p in parts))
    return Message(role=role, content=parts)


def _part(part: Any, param: str) -> ContentPart:
    if not isinstance(part, dict):
        raise invalid(f"'{param}' must be an object", param)
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text"):
        return ContentPart(type="text", text=_str(part, "text", param))
    if kind == "refusal":
        return ContentPart(type="text", text=_str(part, "refusal", param))
    if kind == "input_image":
        url = part.get("image_url")
        if not isinstance(url, str) or not url:
            raise invalid(
                "input_image parts need an 'image_url' (an https or data: URL); "
                "file ids are not supported",
                f"{param}.image_url",
            )
        detail = part.get("detail")
        return ContentPart(
            type="image_url",
            image_url=ImageUrl(url=url, detail=detail if detail in ("low", "high") else None),
        )
    raise invalid(f"content parts of type '{kind}' are not supported", f"{param}.type")


def _text_of(parts: list[Any]) -> str:
    return "".join(str(p.get("text", "")) for p in parts if isinstance(p, dict))


# ------------------------------------------------------------------ tools and format


def _tools(value: Any) -> list[Tool]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid("'tools' must be a list", "tools")
    tools = []
    for i, tool in enumerate(value):
        if not isinstance(tool, dict):
            raise invalid(f"'tools[{i}]' must be an object", f"tools[{i}]")
        kind = tool.get("type")
        if kind != "function":
            raise invalid(_hosted_message(kind), f"tools[{i}].type")
        name = tool.get("name")
        if not isinstance(name, str) or not name:
            raise invalid("each function tool needs a 'name'", f"tools[{i}].name")
        strict = tool.get("strict")
        tools.append(
            Tool(
                function=FunctionDef(
                    name=name,
                    description=tool.get("description"),
                    parameters=tool.get("parameters"),
                    strict=strict if isinstance(strict, bool) else None,
                )
            )
        )
    return tools


def _hosted_message(kind: Any) -> str:
    if isinstance(kind, str) and kind.startswith(HOSTED_TOOLS):
        return (
            f"The hosted tool '{kind}' is not available through this gateway: it runs only "
            "function tools (type 'function'), which your code executes."
        )
    return f"Tools of type '{kind}' are not supported; use type 'function'."


def _tool_choice(value: Any) -> ToolChoice | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value not in ("auto", "none", "required"):
            raise invalid("'tool_choice' must be auto, none, required or a function", "tool_choice")
        return ToolChoice(mode=value)
    if isinstance(value, dict) and value.get("type") == "function":
        name = value.get("name")
        if not isinstance(name, str) or not name:
            raise invalid("'tool_choice.name' is required for a function", "tool_choice.name")
        return ToolChoice(function_name=name)
    raise invalid(
        "'tool_choice' must be auto, none, required or {type: function, name}", "tool_choice"
    )


def _format(text: Any) -> ResponseFormat | None:
    if text is None:
        return None
    if not isinstance(text, dict):
        raise invalid("'text' must be an object", "text")
    fmt = text.get("format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict):
        raise invalid("'text.format' must be an object", "text.format")
    kind = fmt.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return ResponseFormat(type="json_object")
    if kind == "json_schema":
        if not isinstance(fmt.get("schema"), dict):
            raise invalid("'text.format.schema' must be a JSON Schema object", "text.format.schema")
        schema: Json = {"name": fmt.get("name") or "response", "schema": fmt["schema"]}
        for key in ("strict", "description"):
            if key in fmt:
                schema[key] = fmt[key]
        return ResponseFormat(type="json_schema", json_schema=schema)
    raise invalid("'text.format.type' must be text, json_object or json_schema", "text.format.type")


def _effort(reasoning: Any) -> str | None:
    if reasoning is None:
        return None
    if not isinstance(reasoning, dict):
        raise invalid("'reasoning' must be an object", "reasoning")
    effort = reasoning.get("effort")
    if effort is not None and not isinstance(effort, str):
        raise invalid("'reasoning.effort' must be a string", "reasoning.effort")
    return effort


# ------------------------------------------------------------------ scalars


def _opt(body: Json, key: str, kind: type) -> Any:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise invalid(f"'{key}' must be a {kind.__name__}", key)
    return value


def _number(body: Json, key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(f"'{key}' must be a number", key)
    return float(value)


def _str(obj: Json, key: str, param: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise invalid(f"'{param}.{key}' must be a string", f"{param}.{key}")
    return value


def _arguments(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value if value is not None else {}).decode()

"""An Anthropic Messages API request as OpenAI chat JSON: the translation at the edge of
``POST /v1/messages`` (and ``/v1/messages/count_tokens``).

The gateway has one typed request, the chat request; a Messages request becomes one here,
as JSON that :func:`~gate_service.proto_convert.request_json.request_to_proto` then reads
(with ``request_kind="message"``, the ledger's kind). Pure and stateless, and used twice as
chat's own reader is: by the bridge, and by the core on a body the bridge could not
translate (forwarded untyped, so that the 400 naming the parameter comes after the 401,
with the token's ``X-RateLimit-*``).

What maps where:

- ``system`` (a string or text blocks) → a system message first;
- user content blocks: text → text parts, image (base64 → a ``data:`` URL; url) →
  ``image_url`` parts, ``tool_result`` → a ``tool`` message each (placed before the
  user's other content, as OpenAI wants tool answers right after the assistant's calls;
  ``is_error`` prefixes the text with ``Error:``, the only way a chat tool message says
  so; an image inside a result goes to the user message that follows);
- assistant content blocks: text → content, ``tool_use`` → ``tool_calls`` (the input as
  JSON arguments); ``thinking`` / ``redacted_thinking`` are dropped: the upstream may be
  another vendor's model, and a model's own reasoning is not part of its prompt;
- ``tools`` → function tools; ``tool_choice`` auto / any (→ required) / tool (→ the named
  function) / none; ``disable_parallel_tool_use`` → ``parallel_tool_calls: false``;
- ``max_tokens`` (required, as Anthropic requires it: 400 when absent; not for
  ``count_tokens``), ``stop_sequences`` → ``stop``, ``temperature``, ``top_p``,
  ``metadata.user_id`` → ``user``, ``stream`` (with usage, which the events carry);
- ``top_k`` (a non-negative integer, else 400) stays ``top_k``: chat has no such field,
  so it rides in the request's extras, which the Anthropic and Gemini adapters read
  (``top_k``, ``generationConfig.topK``) and OpenAI-format upstreams receive as sent;
- any other key (``thinking``, ``service_tier``...) rides along as an extra, as unknown
  chat keys do.
"""

from __future__ import annotations

from typing import Any

import orjson

from gate_service.errors import invalid
from gate_service.proto_convert.jsonvalues import as_bool, as_dict, as_int, as_list, as_str

# Keys this module translates away; any other top-level key is passed on as it came
# (``top_k`` too, once checked). A translated request keeps none of these among its
# extras, which is how the core tells it from a body forwarded untyped.
MESSAGES_KEYS = frozenset(
    {
        "model",
        "system",
        "messages",
        "tools",
        "tool_choice",
        "max_tokens",
        "stop_sequences",
        "temperature",
        "top_p",
        "metadata",
        "stream",
    }
)
_TOOL_CHOICE_MODES = {"auto": "auto", "any": "required", "none": "none"}
# Tool types a client runs itself; any other type names a server tool Anthropic runs.
_CLIENT_TOOL_TYPES = (None, "custom")


Json = dict[str, Any]


def messages_to_chat(body: Json, *, counting: bool = False) -> Json:
    """An Anthropic Messages request → the OpenAI chat request that serves it (a 400
    naming the Anthropic parameter when a value has the wrong type). ``counting``: a
    ``count_tokens`` body, which has no ``max_tokens``."""
    out: Json = {k: v for k, v in body.items() if k not in MESSAGES_KEYS}
    if "model" in body:
        out["model"] = body["model"]
    chat: list[Json] = []
    if (system := body.get("system")) is not None:
        chat.append({"role": "system", "content": _text_of(system, "system")})
    messages = as_list(body.get("messages", []), "messages")
    for i, message in enumerate(messages):
        chat.extend(_message(message, f"messages[{i}]"))
    out["messages"] = chat
    if body.get("max_tokens") is not None:
        out["max_tokens"] = body["max_tokens"]
    elif not counting:
        raise invalid("'max_tokens' is required", "max_tokens")
    for key in ("temperature", "top_p"):
        if body.get(key) is not None:
            out[key] = body[key]
    if (k := body.get("top_k")) is not None:
        if as_int(k, "top_k") < 0:
            raise invalid("'top_k' must be a non-negative integer", "top_k")
        out["top_k"] = int(k)
    if (stops := body.get("stop_sequences")) is not None:
        out["stop"] = [
            as_str(s, f"stop_sequences[{i}]")
            for i, s in enumerate(as_list(stops, "stop_sequences"))
        ]
    if (metadata := body.get("metadata")) is not None:
        user = as_dict(metadata, "metadata").get("user_id")
        if user is not None:
            out["user"] = as_str(user, "metadata.user_id")
    if (tools := body.get("tools")) is not None:
        out["tools"] = [_tool(t, f"tools[{i}]") for i, t in enumerate(as_list(tools, "tools"))]
    if (choice := body.get("tool_choice")) is not None:
        out.update(_tool_choice(choice))
    if body.get("stream") is not None and as_bool(body["stream"], "stream"):
        out["stream"] = True
        # message_delta carries the usage: ask for it whatever the client said.
        out["stream_options"] = {"include_usage": True}
    return out


def _text_of(value: Any, param: str) -> str:
    """A string, or text blocks joined (``system``, a tool result's content)."""
    if isinstance(value, str):
        return value
    blocks = as_list(value, param)
    texts = []
    for i, block in enumerate(blocks):
        block = as_dict(block, f"{param}[{i}]")
        if block.get("type") == "text":
            texts.append(as_str(block.get("text", ""), f"{param}[{i}].text"))
    return "\n\n".join(texts)


def _message(message: Any, param: str) -> list[Json]:
    """One Anthropic message → one or more chat messages (tool results are messages of
    their own in chat)."""
    message = as_dict(message, param)
    role = as_str(message.get("role", ""), f"{param}.role")
    if role not in ("user", "assistant"):
        raise invalid(f"'{param}.role' must be 'user' or 'assistant'", f"{param}.role")
    content = message.get("content")
    if isinstance(content, str):
        return [{"role": role, "content": content}]
    blocks = [
        as_dict(b, f"{param}.content[{i}]")
        for i, b in enumerate(as_list(content, f"{param}.content"))
    ]
    if role == "assistant":
        return [_assistant(blocks, param)]
    return _user(blocks, param)


def _assistant(blocks: list[Json], param: str) -> Json:
    texts: list[str] = []
    calls: list[Json] = []
    for i, block in enumerate(blocks):
        kind = block.get("type")
        where = f"{param}.content[{i}]"
        if kind == "text":
            texts.append(as_str(block.get("text", ""), f"{where}.text"))
        elif kind == "tool_use":
            calls.append(
                {
                    "id": as_str(block.get("id", ""), f"{where}.id"),
                    "type": "function",
                    "function": {
                        "name": as_str(block.get("name", ""), f"{where}.name"),
                        "arguments": orjson.dumps(block.get("input", {})).decode(),
                    },
                }
            )
        elif kind in ("thinking", "redacted_thinking"):
            continue  # the model's own reasoning: not part of the next prompt
        else:
            raise invalid(
                f"'{where}.type' {kind!r} is not supported in an assistant turn", f"{where}.type"
            )
    out: Json = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        out["tool_calls"] = calls
    return out


def _user(blocks: list[Json], param: str) -> list[Json]:
    tool_messages: list[Json] = []
    parts: list[Json] = []
    for i, block in enumerate(blocks):
        kind = block.get("type")
        where = f"{param}.content[{i}]"
        if kind == "tool_result":
            message, images = _tool_result(block, where)
            tool_messages.append(message)
            parts.extend(images)
        elif kind == "image":
            parts.append(_image(block, where))
        elif kind == "text":
            parts.append({"type": "text", "text": as_str(block.get("text", ""), f"{where}.text")})
        elif kind in ("thinking", "redacted_thinking"):
            continue
        else:
            raise invalid(f"'{where}.type' {kind!r} is not supported", f"{where}.type")
    out = list(tool_messages)
    if parts:
        if all(p["type"] == "text" for p in parts):
            out.append({"role": "user", "content": "\n\n".join(p["text"] for p in parts)})
        else:
            out.append({"role": "user", "content": parts})
    return out


def _tool_result(block: Json, where: str) -> tuple[Json, list[Json]]:
    """A tool message, and the images of the result (a chat tool message holds text)."""
    content = block.get("content", "")
    images: list[Json] = []
    if isinstance(content, str):
        text = content
    else:
        items = as_list(content, f"{where}.content")
        texts = []
        for j, item in enumerate(items):
            item = as_dict(item, f"{where}.content[{j}]")
            if item.get("type") == "image":
                images.append(_image(item, f"{where}.content[{j}]"))
            elif item.get("type") == "text":
                texts.append(as_str(item.get("text", ""), f"{where}.content[{j}].text"))
        text = "\n\n".join(texts)
    if block.get("is_error") is not None and as_bool(block["is_error"], f"{where}.is_error"):
        text = f"Error: {text}"
    call_id = as_str(block.get("tool_use_id", ""), f"{where}.tool_use_id")
    return {"role": "tool", "tool_call_id": call_id, "content": text}, images


def _image(block: Json, where: str) -> Json:
    source = as_dict(block.get("source"), f"{where}.source")
    kind = source.get("type")
    if kind == "base64":
        media = as_str(source.get("media_type", ""), f"{where}.source.media_type")
        data = as_str(source.get("data", ""), f"{where}.source.data")
        url = f"data:{media};base64,{data}"
    elif kind == "url":
        url = as_str(source.get("url", ""), f"{where}.source.url")
    else:
        raise invalid(f"'{where}.source.type' must be 'base64' or 'url'", f"{where}.source.type")
    return {"type": "image_url", "image_url": {"url": url}}


def _tool(tool: Any, param: str) -> Json:
    tool = as_dict(tool, param)
    if tool.get("type") not in _CLIENT_TOOL_TYPES:
        raise invalid(
            f"'{param}' is the server tool {tool.get('type')!r}, which this gateway does not "
            "run; declare client tools (name, description, input_schema) instead",
            f"{param}.type",
        )
    fn: Json = {"name": as_str(tool.get("name", ""), f"{param}.name")}
    if tool.get("description") is not None:
        fn["description"] = as_str(tool["description"], f"{param}.description")
    fn["parameters"] = as_dict(
        tool.get("input_schema", {"type": "object"}), f"{param}.input_schema"
    )
    return {"type": "function", "function": fn}


def _tool_choice(choice: Any) -> Json:
    choice = as_dict(choice, "tool_choice")
    kind = choice.get("type")
    out: Json = {}
    if isinstance(kind, str) and kind in _TOOL_CHOICE_MODES:
        out["tool_choice"] = _TOOL_CHOICE_MODES[kind]
    elif kind == "tool":
        name = as_str(choice.get("name", ""), "tool_choice.name")
        out["tool_choice"] = {"type": "function", "function": {"name": name}}
    else:
        raise invalid("'tool_choice.type' must be auto, any, tool or none", "tool_choice.type")
    disable = choice.get("disable_parallel_tool_use")
    if disable is not None and as_bool(disable, "tool_choice.disable_parallel_tool_use"):
        out["parallel_tool_calls"] = False
    return out

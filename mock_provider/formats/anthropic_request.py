"""Parsing an Anthropic Messages request, and translating it for :func:`behaviour.decide`.

The mock "model" speaks OpenAI-shaped messages and tools, so the same prompt
gets the same text or tool call through every format.  The translation:

* ``system`` (string or text blocks) -> a leading ``system`` message;
* ``text`` blocks -> text parts, ``image`` / ``document`` blocks -> image
  parts (a fixed token cost, like OpenAI images);
* assistant ``tool_use`` blocks -> ``tool_calls``;
* user ``tool_result`` blocks -> ``tool`` messages, placed after the
  message's other content so a turn that answers a tool ends with a tool
  result (and the mock answers in text, letting agent loops finish);
* custom ``tools`` -> functions (server tools such as web search are
  ignored); ``tool_choice`` auto/any/tool/none -> auto/required/named/none.

Validation covers what a client could plausibly trip over, with Anthropic's
wording where it is known (``max_tokens: Field required``...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from mock_provider import behaviour
from mock_provider.behaviour import Reply

__all__ = ["InvalidRequest", "MessagesRequest", "parse_messages_request"]

_BLOCK_TYPES = (
    "text",
    "image",
    "document",
    "tool_use",
    "tool_result",
    "thinking",
    "redacted_thinking",
)
_IMAGE_SOURCES = ("base64", "url", "file")
_TOOL_CHOICES = {"auto": "auto", "any": "required", "none": "none"}


class InvalidRequest(Exception):
    """A 400 ``invalid_request_error``; raised by validation, rendered by the handler."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class MessagesRequest:
    """The parts of a Messages request the mock acts on, already translated."""

    model: str
    messages: list[dict[str, Any]]
    """OpenAI-shaped, including the system prompt as the first message."""
    system_text: str
    tools: list[dict[str, Any]] | None
    tool_choice: Any
    max_tokens: int
    stop_sequences: list[str]
    stream: bool

    def decide(self) -> Reply:
        return behaviour.decide(
            self.model,
            self.messages,
            tools=self.tools,
            tool_choice=self.tool_choice,
            max_tokens=self.max_tokens,
            stop=self.stop_sequences,
        )


def parse_messages_request(body: Any, invalid_json: bool = False) -> MessagesRequest:
    """Validate like the Messages API does (the checks a client could trip over), or raise."""
    if invalid_json or not isinstance(body, dict):
        raise InvalidRequest("There was an error parsing the body of your request as JSON.")
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            raise InvalidRequest(f"{name}: Field required")
    model = body["model"]
    if not isinstance(model, str) or not model:
        raise InvalidRequest("model: Input should be a valid string")
    max_tokens = body["max_tokens"]
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        raise InvalidRequest("max_tokens: Input should be a valid integer")
    if max_tokens < 1:
        raise InvalidRequest("max_tokens: Input should be greater than or equal to 1")
    system_text = _system_text(body.get("system"))
    messages: list[dict[str, Any]] = []
    if system_text:
        messages.append({"role": "system", "content": system_text})
    raw_messages = body["messages"]
    if not isinstance(raw_messages, list):
        raise InvalidRequest("messages: Input should be a valid list")
    if not raw_messages:
        raise InvalidRequest("messages: at least one message is required")
    for index, message in enumerate(raw_messages):
        messages.extend(_translate_message(index, message))
    tools = _translate_tools(body.get("tools"))
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise InvalidRequest("stream: Input should be a valid boolean")
    return MessagesRequest(
        model=model,
        messages=messages,
        system_text=system_text,
        tools=tools,
        tool_choice=_translate_tool_choice(body.get("tool_choice"), tools),
        max_tokens=max_tokens,
        stop_sequences=_stop_sequences(body.get("stop_sequences")),
        stream=stream,
    )


def _system_text(system: Any) -> str:
    if system is None or isinstance(system, str):
        return system or ""
    if isinstance(system, list):
        texts = []
        for index, block in enumerate(system):
            if not isinstance(block, dict) or block.get("type") != "text":
                raise InvalidRequest(f"system.{index}.type: Input should be 'text'")
            text = block.get("text")
            if not isinstance(text, str):
                raise InvalidRequest(f"system.{index}.text: Field required")
            texts.append(text)
        return "\n".join(texts)
    raise InvalidRequest("system: Input should be a valid string or a list of text blocks")


def _translate_message(index: int, message: Any) -> list[dict[str, Any]]:
    where = f"messages.{index}"
    if not isinstance(message, dict):
        raise InvalidRequest(f"{where}: Input should be a valid dictionary")
    role = message.get("role")
    if role not in ("user", "assistant"):
        raise InvalidRequest(f"{where}.role: Input should be 'user' or 'assistant'")
    if "content" not in message:
        raise InvalidRequest(f"{where}.content: Field required")
    content = message["content"]
    if isinstance(content, str):
        return [{"role": role, "content": content}]
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content: Input should be a valid list")

    parts: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for number, block in enumerate(content):
        at = f"{where}.content.{number}"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in _BLOCK_TYPES:
            raise InvalidRequest(
                f"{at}: Input tag '{kind}' found using 'type' does not match any of the "
                f"expected tags: {', '.join(repr(t) for t in _BLOCK_TYPES)}"
            )
        assert isinstance(block, dict)
        if kind == "text":
            if not isinstance(block.get("text"), str):
                raise InvalidRequest(f"{at}.text: Field required")
            parts.append({"type": "text", "text": block["text"]})
        elif kind in ("image", "document"):
            source = block.get("source")
            if not isinstance(source, dict) or source.get("type") not in _IMAGE_SOURCES:
                raise InvalidRequest(f"{at}.source: Input should be a valid image/document source")
            parts.append({"type": "image_url", "image_url": {"url": "mock://attachment"}})
        elif kind == "tool_use":
            if role != "assistant":
                raise InvalidRequest(f"{at}: tool_use blocks are only allowed in assistant turns")
            tool_calls.append(_tool_call(at, block))
        elif kind == "tool_result":
            if role != "user":
                raise InvalidRequest(f"{at}: tool_result blocks are only allowed in user turns")
            if not isinstance(block.get("tool_use_id"), str):
                raise InvalidRequest(f"{at}.tool_use_id: Field required")
            results.append(
                {
                    "role": "tool",
                    "tool_call_id": block["tool_use_id"],
                    "content": behaviour.content_text(block.get("content")),
                }
            )
    if role == "assistant":
        translated: dict[str, Any] = {"role": "assistant", "content": parts or None}
        if tool_calls:
            translated["tool_calls"] = tool_calls
        return [translated]
    return ([{"role": "user", "content": parts}] if parts or not results else []) + results


def _tool_call(at: str, block: dict[str, Any]) -> dict[str, Any]:
    name, ident, arguments = block.get("name"), block.get("id"), block.get("input", {})
    if not isinstance(name, str) or not isinstance(ident, str):
        raise InvalidRequest(f"{at}: tool_use blocks need 'id' and 'name'")
    if not isinstance(arguments, dict):
        raise InvalidRequest(f"{at}.input: Input should be a valid dictionary")
    return {
        "id": ident,
        "type": "function",
        "function": {"name": name, "arguments": orjson.dumps(arguments).decode()},
    }


def _translate_tools(tools: Any) -> list[dict[str, Any]] | None:
    if tools is None:
        return None
    if not isinstance(tools, list):
        raise InvalidRequest("tools: Input should be a valid list")
    functions = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise InvalidRequest(f"tools.{index}: Input should be a valid dictionary")
        if tool.get("type") not in (None, "custom"):
            continue  # a server tool (web search, code execution...): not the mock's business
        name = tool.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidRequest(f"tools.{index}.name: Field required")
        schema = tool.get("input_schema")
        if not isinstance(schema, dict):
            raise InvalidRequest(f"tools.{index}.custom.input_schema: Field required")
        function: dict[str, Any] = {"name": name, "parameters": schema}
        if isinstance(tool.get("description"), str):
            function["description"] = tool["description"]
        functions.append({"type": "function", "function": function})
    return functions or None


def _translate_tool_choice(choice: Any, tools: list[dict[str, Any]] | None) -> Any:
    if choice is None:
        return None
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind == "tool":
        assert isinstance(choice, dict)
        name = choice.get("name")
        if not isinstance(name, str):
            raise InvalidRequest("tool_choice.tool.name: Field required")
        if not tools or all(t["function"]["name"] != name for t in tools):
            raise InvalidRequest(f"Tool '{name}' not found in provided tools")
        return {"type": "function", "function": {"name": name}}
    if kind not in _TOOL_CHOICES:
        raise InvalidRequest(
            "tool_choice: Input tag found using 'type' does not match any of the expected "
            "tags: 'auto', 'any', 'tool', 'none'"
        )
    if kind != "none" and not tools:
        raise InvalidRequest("tool_choice may only be specified while providing tools.")
    return _TOOL_CHOICES[kind]


def _stop_sequences(stop: Any) -> list[str]:
    if stop is None:
        return []
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise InvalidRequest("stop_sequences: Input should be a valid list of strings")
    return stop

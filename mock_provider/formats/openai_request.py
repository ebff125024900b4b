"""Parsing and validating an OpenAI chat-completions request.

Validation is deliberately minimal - only what a client (or a buggy gateway)
could plausibly trip over - but every rejection uses OpenAI's own message,
``param`` and ``code``, because the gateway may map upstream 400s onto its own
errors and tests compare them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mock_provider import behaviour
from mock_provider.behaviour import Reply

__all__ = ["ChatRequest", "InvalidRequest", "parse_chat_request"]

_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_ROLE_LIST = "'system', 'assistant', 'user', 'function', 'tool', and 'developer'"
_RESPONSE_FORMATS = ("text", "json_object", "json_schema")
_TOOL_CHOICES = ("none", "auto", "required")
_MISSING: Any = object()


class InvalidRequest(Exception):
    """A 400 in OpenAI's words; raised by validation, rendered by the handler."""

    def __init__(self, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code


@dataclass(slots=True)
class ChatRequest:
    """The parts of a chat-completions request the mock acts on."""

    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    tool_choice: Any
    max_tokens: int | None
    stop: str | list[str] | None
    response_format: dict[str, Any] | None
    stream: bool
    include_usage: bool
    n: int = 1
    logprobs: int | None = None
    """None: not asked; else how many ``top_logprobs`` per token."""

    def decide(self) -> Reply:
        return behaviour.decide(
            self.model,
            self.messages,
            tools=self.tools,
            tool_choice=self.tool_choice,
            max_tokens=self.max_tokens,
            stop=self.stop,
            response_format=self.response_format,
        )


def parse_chat_request(body: Any, invalid_json: bool = False) -> ChatRequest:
    """Validate like OpenAI does (the checks a client could trip over), or raise."""
    if invalid_json or not isinstance(body, dict):
        raise InvalidRequest(
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, "
            "but what was sent was not valid JSON.)"
        )
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("you must provide a model parameter", "model")
    messages = _validate_messages(body.get("messages", _MISSING))
    tools = _validate_tools(body.get("tools"))
    tool_choice = _validate_tool_choice(body.get("tool_choice"), tools)
    max_tokens = _validate_max_tokens(body, "max_completion_tokens")
    if max_tokens is None:
        max_tokens = _validate_max_tokens(body, "max_tokens")
    stop = _validate_stop(body.get("stop"))
    response_format = _validate_response_format(body.get("response_format"))
    n = body.get("n")
    if n is None:
        n = 1
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 128:
        raise InvalidRequest("'n' must be between 1 and 128.", "n", "invalid_value")
    top = body.get("top_logprobs")
    if top is not None and (not isinstance(top, int) or not 0 <= top <= 20):
        raise InvalidRequest("'top_logprobs' must be between 0 and 20.", "top_logprobs")
    if top is not None and body.get("logprobs") is not True:
        raise InvalidRequest(
            "'logprobs' must be set to true when 'top_logprobs' is used.", "top_logprobs"
        )
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise InvalidRequest(_type_message("stream", "a boolean", stream), "stream", "invalid_type")
    stream_options = body.get("stream_options")
    if stream_options is not None and not stream:
        raise InvalidRequest(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
        )
    include_usage = isinstance(stream_options, dict) and stream_options.get("include_usage") is True
    return ChatRequest(
        model=model,
        messages=messages,
        tools=tools,
        tool_choice=tool_choice,
        max_tokens=max_tokens,
        stop=stop,
        response_format=response_format,
        stream=bool(stream),
        include_usage=include_usage,
        n=n,
        logprobs=(top or 0) if body.get("logprobs") is True else None,
    )


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    return "an object"


def _type_message(param: str, expected: str, value: Any) -> str:
    return f"Invalid type for '{param}': expected {expected}, but got {_json_type(value)} instead."


def _validate_messages(messages: Any) -> list[dict[str, Any]]:
    if messages is _MISSING:
        raise InvalidRequest(
            "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"
        )
    if not isinstance(messages, list):
        raise InvalidRequest(
            _type_message("messages", "an array of objects", messages), "messages", "invalid_type"
        )
    if not messages:
        raise InvalidRequest(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, "
            "but got an empty array instead.",
            "messages",
            "empty_array",
        )
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise InvalidRequest(_type_message(where, "an object", message), where, "invalid_type")
        role = message.get("role")
        if role is None:
            raise InvalidRequest(
                f"Missing required parameter: '{where}.role'.",
                f"{where}.role",
                "missing_required_parameter",
            )
        if role not in _ROLES:
            raise InvalidRequest(
                f"Invalid value: '{role}'. Supported values are: {_ROLE_LIST}.",
                f"{where}.role",
                "invalid_value",
            )
    return messages


def _validate_tools(tools: Any) -> list[dict[str, Any]] | None:
    if tools is None:
        return None
    if not isinstance(tools, list):
        raise InvalidRequest(_type_message("tools", "an array", tools), "tools", "invalid_type")
    if not tools:
        raise InvalidRequest(
            "Invalid 'tools': empty array. Expected an array with minimum length 1, "
            "but got an empty array instead.",
            "tools",
            "empty_array",
        )
    for index, tool in enumerate(tools):
        where = f"tools[{index}]"
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict):
            raise InvalidRequest(
                f"Missing required parameter: '{where}.function'.",
                f"{where}.function",
                "missing_required_parameter",
            )
        if not isinstance(function.get("name"), str) or not function["name"]:
            raise InvalidRequest(
                f"Missing required parameter: '{where}.function.name'.",
                f"{where}.function.name",
                "missing_required_parameter",
            )
    return tools


def _validate_tool_choice(choice: Any, tools: list[dict[str, Any]] | None) -> Any:
    if choice is None:
        return None
    if isinstance(choice, str):
        if choice not in _TOOL_CHOICES:
            raise InvalidRequest(
                f"Invalid value: '{choice}'. Supported values are: 'none', 'auto', and 'required'.",
                "tool_choice",
                "invalid_value",
            )
    elif isinstance(choice, dict):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str):
            raise InvalidRequest(
                "Missing required parameter: 'tool_choice.function.name'.",
                "tool_choice.function.name",
                "missing_required_parameter",
            )
        if tools is not None and all(t["function"]["name"] != name for t in tools):
            raise InvalidRequest(
                f"Invalid value for 'tool_choice': no function named '{name}' was specified "
                "in the 'tools' parameter.",
                "tool_choice",
            )
    else:
        raise InvalidRequest(
            _type_message("tool_choice", "a string or object", choice),
            "tool_choice",
            "invalid_type",
        )
    if tools is None and choice != "none":
        raise InvalidRequest(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
            "specified.",
            "tool_choice",
        )
    return choice


def _validate_max_tokens(body: dict[str, Any], param: str) -> int | None:
    value = body.get(param)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRequest(_type_message(param, "an integer", value), param, "invalid_type")
    if value < 1:
        raise InvalidRequest(
            f"Invalid '{param}': integer below minimum value. Expected a value >= 1, "
            f"but got {value} instead.",
            param,
            "integer_below_min_value",
        )
    return value


def _validate_stop(stop: Any) -> str | list[str] | None:
    if stop is None or isinstance(stop, str):
        return stop
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        if len(stop) > 4:
            raise InvalidRequest(
                "Invalid 'stop': array too long. Expected an array with maximum length 4, "
                f"but got an array with length {len(stop)} instead.",
                "stop",
                "array_above_max_length",
            )
        return stop
    raise InvalidRequest(
        _type_message("stop", "a string or an array of strings", stop), "stop", "invalid_type"
    )


def _validate_response_format(response_format: Any) -> dict[str, Any] | None:
    if response_format is None:
        return None
    if not isinstance(response_format, dict):
        raise InvalidRequest(
            _type_message("response_format", "an object", response_format),
            "response_format",
            "invalid_type",
        )
    kind = response_format.get("type")
    if kind not in _RESPONSE_FORMATS:
        raise InvalidRequest(
            f"Invalid value: '{kind}'. Supported values are: 'json_object', 'json_schema', "
            "and 'text'.",
            "response_format.type",
            "invalid_value",
        )
    return response_format

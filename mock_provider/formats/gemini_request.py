"""Parsing a Gemini ``generateContent`` request, and translating it for ``behaviour.decide``.

Like the Anthropic translation, this turns the request into OpenAI-shaped
messages and tools so the same prompt gets the same answer in every format:

* ``systemInstruction`` -> a leading ``system`` message;
* ``contents`` (roles ``user`` / ``model``): ``text`` parts -> text,
  ``inlineData`` / ``fileData`` -> image parts (a fixed token cost),
  ``functionCall`` -> assistant ``tool_calls``, ``functionResponse`` ->
  ``tool`` messages after the content's other parts (so the mock then
  answers in text);
* ``tools[].functionDeclarations`` -> functions (``parameters`` or
  ``parametersJsonSchema``; Gemini's upper-case schema types are lowered);
* ``toolConfig.functionCallingConfig.mode`` AUTO / ANY / NONE -> auto /
  required / none; ANY with ``allowedFunctionNames`` calls the first allowed;
* ``generationConfig``: ``maxOutputTokens``, ``stopSequences``,
  ``responseMimeType`` (``application/json`` -> a JSON reply, shaped by
  ``responseSchema`` / ``responseJsonSchema`` when given), ``candidateCount``
  (1-8: that many identical candidates), ``responseLogprobs`` / ``logprobs``
  (a ``logprobsResult`` per candidate).

Field names are accepted in camelCase (what the REST API documents and the
SDK sends) and in snake_case (which the real API also accepts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from mock_provider import behaviour
from mock_provider.behaviour import Reply

__all__ = ["GenerateRequest", "InvalidRequest", "parse_generate_request"]

_ROLES = {"user": "user", "model": "assistant", "function": "user", "tool": "user"}
_MODES = {"AUTO": "auto", "VALIDATED": "auto", "ANY": "required", "NONE": "none"}


class InvalidRequest(Exception):
    """A 400 ``INVALID_ARGUMENT``; raised by validation, rendered by the handler."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class GenerateRequest:
    """The parts of a generateContent request the mock acts on, already translated."""

    model: str
    messages: list[dict[str, Any]]
    system_text: str
    tools: list[dict[str, Any]] | None
    tool_choice: Any
    max_tokens: int | None
    stop: list[str]
    response_format: dict[str, Any] | None
    candidate_count: int = 1
    logprobs: int | None = None
    """None: no ``responseLogprobs``; else how many top alternatives per token."""

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


def field(obj: dict[str, Any], camel: str) -> Any:
    """``obj[camel]``, or the snake_case spelling of it."""
    if camel in obj:
        return obj[camel]
    return obj.get("".join(f"_{c.lower()}" if c.isupper() else c for c in camel))


def parse_generate_request(model: str, body: Any, invalid_json: bool = False) -> GenerateRequest:
    """Validate like the Gemini API does (the checks a client could trip over), or raise."""
    if invalid_json or not isinstance(body, dict):
        raise InvalidRequest("Invalid JSON payload received. Unexpected token.")
    contents = body.get("contents")
    if not contents:
        raise InvalidRequest("* GenerateContentRequest.contents: contents is not specified\n")
    if not isinstance(contents, list):
        raise InvalidRequest(
            'Invalid JSON payload received. Unknown name "contents": Proto field is not '
            "repeating, cannot start list."
        )
    system_text = _system_text(field(body, "systemInstruction"))
    messages: list[dict[str, Any]] = []
    if system_text:
        messages.append({"role": "system", "content": system_text})
    for index, content in enumerate(contents):
        messages.extend(_translate_content(index, content))
    tools = _translate_tools(body.get("tools"))
    config = field(body, "generationConfig") or {}
    if not isinstance(config, dict):
        raise InvalidRequest("generation_config: must be an object")
    count = field(config, "candidateCount")
    if count is None:
        count = 1
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 8:
        raise InvalidRequest("candidateCount must be between 1 and 8.")
    top = field(config, "logprobs")
    if top is not None and (not isinstance(top, int) or not 0 <= top <= 20):
        raise InvalidRequest("logprobs must be between 0 and 20.")
    return GenerateRequest(
        model=model,
        messages=messages,
        system_text=system_text,
        tools=tools,
        tool_choice=_tool_choice(field(body, "toolConfig"), tools),
        max_tokens=_max_tokens(config),
        stop=_stop_sequences(config),
        response_format=_response_format(config),
        candidate_count=count,
        logprobs=(top or 0) if field(config, "responseLogprobs") else None,
    )


def _system_text(system: Any) -> str:
    if system is None:
        return ""
    if isinstance(system, str):
        return system
    if isinstance(system, dict) and isinstance(system.get("parts"), list):
        return "\n".join(
            p["text"]
            for p in system["parts"]
            if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    raise InvalidRequest("* GenerateContentRequest.system_instruction: must be a Content object\n")


def _translate_content(index: int, content: Any) -> list[dict[str, Any]]:
    where = f"GenerateContentRequest.contents[{index}]"
    if not isinstance(content, dict):
        raise InvalidRequest(f"* {where}: must be an object\n")
    role = _ROLES.get(content.get("role") or "user")
    if role is None:
        raise InvalidRequest("Please use a valid role: user, model.")
    parts = content.get("parts")
    if not isinstance(parts, list) or not parts:
        raise InvalidRequest(f"* {where}.parts: contents.parts must not be empty.\n")
    texts: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for number, part in enumerate(parts):
        if not isinstance(part, dict):
            raise InvalidRequest(f"* {where}.parts[{number}]: must be an object\n")
        call, response = field(part, "functionCall"), field(part, "functionResponse")
        if isinstance(part.get("text"), str):
            if not part.get("thought"):
                texts.append({"type": "text", "text": part["text"]})
        elif field(part, "inlineData") is not None or field(part, "fileData") is not None:
            texts.append({"type": "image_url", "image_url": {"url": "mock://attachment"}})
        elif isinstance(call, dict):
            name = call.get("name")
            arguments = orjson.dumps(call.get("args") or {}).decode()
            calls.append(
                {
                    "id": f"call_{index}_{number}",
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
            )
        elif isinstance(response, dict):
            results.append(
                {
                    "role": "tool",
                    "tool_call_id": str(response.get("name")),
                    "content": orjson.dumps(response.get("response") or {}).decode(),
                }
            )
    if role == "assistant":
        message: dict[str, Any] = {"role": "assistant", "content": texts or None}
        if calls:
            message["tool_calls"] = calls
        return [message]
    return ([{"role": "user", "content": texts}] if texts or not results else []) + results


def _translate_tools(tools: Any) -> list[dict[str, Any]] | None:
    if tools is None:
        return None
    if not isinstance(tools, list):
        raise InvalidRequest("* GenerateContentRequest.tools: must be a list\n")
    functions = []
    for index, tool in enumerate(tools):
        declarations = field(tool, "functionDeclarations") if isinstance(tool, dict) else None
        for number, declaration in enumerate(declarations or ()):
            name = declaration.get("name") if isinstance(declaration, dict) else None
            if not isinstance(name, str) or not name:
                raise InvalidRequest(
                    f"* GenerateContentRequest.tools[{index}].function_declarations[{number}]"
                    ".name: Invalid function name. Must start with a letter or an underscore.\n"
                )
            assert isinstance(declaration, dict)
            schema = field(declaration, "parametersJsonSchema")
            if schema is None:
                schema = _lower_types(declaration.get("parameters"))
            function: dict[str, Any] = {"name": name, "parameters": schema or {}}
            if isinstance(declaration.get("description"), str):
                function["description"] = declaration["description"]
            functions.append({"type": "function", "function": function})
    return functions or None


def _tool_choice(tool_config: Any, tools: list[dict[str, Any]] | None) -> Any:
    config = field(tool_config, "functionCallingConfig") if isinstance(tool_config, dict) else None
    if not isinstance(config, dict):
        return None
    mode = str(config.get("mode") or "AUTO").upper()
    if mode not in _MODES:
        raise InvalidRequest(
            f"Invalid value at 'tool_config.function_calling_config.mode', \"{mode}\""
        )
    allowed = field(config, "allowedFunctionNames")
    if allowed:
        if mode != "ANY":
            raise InvalidRequest(
                "* GenerateContentRequest.tool_config.function_calling_config"
                ".allowed_function_names: only allowed when mode is ANY.\n"
            )
        names = {t["function"]["name"] for t in tools or ()}
        for name in allowed:
            if name not in names:
                raise InvalidRequest(
                    "* GenerateContentRequest.tool_config.function_calling_config"
                    f".allowed_function_names: {name} is not a declared function.\n"
                )
        return {"type": "function", "function": {"name": allowed[0]}}
    return _MODES[mode]


def _max_tokens(config: dict[str, Any]) -> int | None:
    value = field(config, "maxOutputTokens")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidRequest(
            "* GenerateContentRequest.generation_config.max_output_tokens: "
            "max_output_tokens must be positive.\n"
        )
    return value


def _stop_sequences(config: dict[str, Any]) -> list[str]:
    stop = field(config, "stopSequences")
    if stop is None:
        return []
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise InvalidRequest("* GenerateContentRequest.generation_config.stop_sequences: invalid\n")
    return stop


def _response_format(config: dict[str, Any]) -> dict[str, Any] | None:
    if field(config, "responseMimeType") != "application/json":
        return None
    schema = field(config, "responseJsonSchema")
    if schema is None:
        schema = _lower_types(field(config, "responseSchema"))
    if schema is None:
        return {"type": "json_object"}
    return {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}


def _lower_types(schema: Any) -> Any:
    """A Gemini (OpenAPI-subset) schema with ``"OBJECT"``-style types lowered to JSON Schema's."""
    if isinstance(schema, list):
        return [_lower_types(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: value.lower() if key == "type" and isinstance(value, str) else _lower_types(value)
        for key, value in schema.items()
    }

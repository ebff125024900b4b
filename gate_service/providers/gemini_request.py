"""Chat request -> Gemini ``generateContent`` request body.

Gemini names things differently (``contents`` of ``parts``, role ``model``, system text
in ``systemInstruction``, sampling knobs in ``generationConfig``), answers a tool call
with a ``functionResponse`` that names the function rather than the call id, and takes
images either inline (``inlineData``) or by URI (``fileData``).
"""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import urlsplit

import orjson

from gate_service.domain import ChatRequest, Content, FunctionDef, Message, ToolChoice
from gate_service.providers.base import Json
from gate_service.providers.gemini_schema import function_parameters
from gate_service.providers.openai_request import (
    bad_request,
    content_parts,
    function_tools,
    image_url,
    max_output_tokens,
    named_tool_choice,
    parse_data_url,
    part_text,
    stop_sequences,
    text_of,
    texts_of,
    tool_arguments,
    top_k,
)

# Gemini 3 refuses a replayed function call without the thought signature it issued,
# which the OpenAI format cannot carry; Google documents this value for history that
# did not come from the model itself (thought-signatures docs, "FAQs").
SKIP_SIGNATURE = "skip_thought_signature_validator"
# Families that predate mandatory signatures get no dummy signature.
_UNSIGNED_FAMILIES = ("gemini-1", "gemini-2", "gemma")

_TOOL_MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE"}
# OpenAI name -> generationConfig name, for values passed through unchanged.
_GENERATION = {
    "temperature": "temperature",
    "top_p": "topP",
    "n": "candidateCount",
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
}


def build_body(request: ChatRequest, model: str) -> Json:
    """The ``generateContent`` / ``streamGenerateContent`` body for ``request``."""
    system, contents = convert_messages(request.messages, model)
    body: Json = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": system}
    if tools := function_tools(request):
        body["tools"] = [{"functionDeclarations": [_declaration(f) for f in tools]}]
        if config := _calling_config(request.tool_choice):
            body["toolConfig"] = {"functionCallingConfig": config}
    if generation := generation_config(request):
        body["generationConfig"] = generation
    return body


def convert_messages(raw: list[Message], model: str) -> tuple[list[Json], list[Json]]:
    """``(system parts, contents)``; consecutive turns of one role are merged, which
    also puts the answers to parallel tool calls in one turn as Gemini requires."""
    system: list[Json] = []
    contents: list[Json] = []
    names: dict[str, str] = {}  # tool_call_id -> function name, as the calls went by
    signed = not model.removeprefix("models/").startswith(_UNSIGNED_FAMILIES)
    for msg in raw:
        role = msg.role
        if role in ("system", "developer"):
            if text := text_of(msg.content):
                system.append({"text": text})
            continue
        if role == "user":
            turn, parts = "user", _user_parts(msg.content)
        elif role == "assistant":
            turn, parts = "model", _model_parts(msg, names, signed)
        elif role == "tool":
            turn, parts = "user", [_function_response(msg, names)]
        else:
            raise bad_request(f"message role {role!r} is not supported")
        if not parts:
            continue
        if contents and contents[-1]["role"] == turn:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": turn, "parts": parts})
    return system, contents


def _user_parts(content: Content) -> list[Json]:
    if type(content) is str:  # the usual user message: one text block, if any text
        return [{"text": content}] if content else []
    parts: list[Json] = []
    for part in content_parts(content):
        kind = part.type or "text"
        if (text := part_text(part)) is not None:
            if text:
                parts.append({"text": text})
        elif kind == "image_url":
            parts.append(_image(image_url(part)))
        else:
            raise bad_request(f"content part type {kind!r} is not supported by Gemini")
    return parts


def _image(url: str) -> Json:
    data_url = parse_data_url(url)
    if data_url is not None:
        mime_type, data = data_url
        return {"inlineData": {"mimeType": mime_type, "data": data}}
    guessed, _ = mimetypes.guess_type(urlsplit(url).path)
    mime_type = guessed if guessed and guessed.startswith("image/") else "image/jpeg"
    return {"fileData": {"mimeType": mime_type, "fileUri": url}}


def _model_parts(msg: Message, names: dict[str, str], signed: bool) -> list[Json]:
    parts: list[Json] = [{"text": text} for text in texts_of(msg.content)]
    for n, call in enumerate(msg.tool_calls):
        function = call.function
        name = (function.name if function else None) or ""
        names[call.id or ""] = name
        arguments = tool_arguments(function.arguments if function else None)
        part: Json = {"functionCall": {"name": name, "args": arguments}}
        if signed and n == 0:  # only the first of parallel calls carries a signature
            part["thoughtSignature"] = SKIP_SIGNATURE
        parts.append(part)
    return parts


def _function_response(msg: Message, names: dict[str, str]) -> Json:
    name = names.get(msg.tool_call_id or "") or msg.name
    if not name:
        raise bad_request("a tool message answers no earlier tool call (unknown tool_call_id)")
    return {"functionResponse": {"name": name, "response": {"content": _result(msg)}}}


def _result(msg: Message) -> Any:
    """A tool's output: parsed when it is a JSON object or array, else the text."""
    text = text_of(msg.content)
    if text.lstrip().startswith(("{", "[")):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return text


def _declaration(function: FunctionDef) -> Json:
    declaration: Json = {"name": function.name}
    if function.description:
        declaration["description"] = function.description
    if (parameters := function_parameters(function.parameters)) is not None:
        declaration["parameters"] = parameters
    return declaration


def _calling_config(choice: ToolChoice | None) -> Json | None:
    if choice is not None and choice.mode in _TOOL_MODES:
        return {"mode": _TOOL_MODES[choice.mode]}
    if (name := named_tool_choice(choice)) is not None:
        return {"mode": "ANY", "allowedFunctionNames": [name]}
    return None


def generation_config(request: ChatRequest) -> Json:
    """``generationConfig``: sampling, limits, JSON output and log-probabilities."""
    config: Json = {
        ours: value
        for theirs, ours in _GENERATION.items()
        if (value := getattr(request, theirs)) is not None
    }
    if (k := top_k(request)) is not None:
        config["topK"] = k
    if (limit := max_output_tokens(request)) is not None:
        config["maxOutputTokens"] = limit
    if stops := stop_sequences(request):
        config["stopSequences"] = stops
    response_format = request.response_format
    if response_format is not None:
        kind = response_format.type
        if kind in ("json_object", "json_schema"):
            config["responseMimeType"] = "application/json"
        json_schema = response_format.json_schema
        schema = json_schema.get("schema") if isinstance(json_schema, dict) else None
        if kind == "json_schema" and isinstance(schema, dict):
            # responseJsonSchema takes JSON Schema as OpenAI clients write it;
            # responseSchema would need the OpenAPI subset (see gemini_schema).
            config["responseJsonSchema"] = schema
    if request.logprobs:
        config["responseLogprobs"] = True
        if request.top_logprobs is not None:
            config["logprobs"] = request.top_logprobs
    return config

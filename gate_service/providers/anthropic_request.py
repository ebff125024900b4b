"""Chat request -> Anthropic Messages request body (``POST /v1/messages``).

Only fields Anthropic defines are sent: the Messages API answers unknown fields with a
400, so OpenAI parameters without an Anthropic equivalent are left out rather than passed
through — ``providers.params`` says which, and what the gateway does instead (planning
refuses the ones that change the answer; the others are named in a response header).
``response_format`` (JSON output) is emulated the way Anthropic recommends: a tool whose
``input_schema`` is the schema, forced with ``tool_choice``; the answer's tool input is
turned back into the message text (``anthropic_response``, ``anthropic_stream``).

Anthropic also wants strictly alternating user/assistant turns, system text outside the
turns, and tool results as user content; the conversion provides that.
"""

from __future__ import annotations

import re

from gate_service.domain import ChatRequest, Content, FunctionDef, Message
from gate_service.providers.base import Json
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

# The tool that carries a JSON answer (response_format): unwrapped into the message text.
RESPONSE_TOOL = "spidergate_json_answer"

# Anthropic requires max_tokens; OpenAI clients often leave it out.
DEFAULT_MAX_TOKENS = 4096

# Sampling knobs are being retired: Claude Opus 4.7 and every later model answer any
# temperature/top_p/top_k with a 400 ("temperature is deprecated for this model"), and
# API version 2026-10-21 removed them for all models. A 400 is not retried, so they are
# only sent to the families known to take them (Claude 3.x and 4.0-4.6) on older API
# versions; any newer or unknown model simply gets the API default. ``top_k`` (from the
# request's extras: the Messages API's own knob) goes with them.
_SAMPLING_MODELS = re.compile(
    r"^claude-(?:\d|instant|(?:opus|sonnet|haiku)-4(?:-[0-6])?(?:-\d{8})?$)"
)
_SAMPLING_REMOVED_IN = "2026-10-21"


def accepts_sampling(model: str, api_version: str) -> bool:
    """Whether ``temperature`` / ``top_p`` may be sent to ``model`` on ``api_version``."""
    return api_version < _SAMPLING_REMOVED_IN and bool(_SAMPLING_MODELS.match(model))


def build_body(request: ChatRequest, model: str, *, stream: bool, sampling: bool = True) -> Json:
    """The Messages API body for ``request`` sent to ``model``; ``sampling`` says whether
    the model still takes temperature/top_p (see ``accepts_sampling``)."""
    system, messages = convert_messages(request.messages)
    body: Json = {
        "model": model,
        "max_tokens": max_output_tokens(request) or DEFAULT_MAX_TOKENS,
        "messages": messages,
    }
    if system:
        body["system"] = system
    if sampling:
        body.update(_sampling(request))
        if (k := top_k(request)) is not None:
            body["top_k"] = k
    if stops := stop_sequences(request):
        body["stop_sequences"] = stops
    tools = [_tool(f) for f in function_tools(request)]
    choice = _tool_choice(request) if tools else None
    if (answer_tool := response_tool(request)) is not None:
        choice = _forced_answer(choice, bool(tools))
        tools.append(answer_tool)
    if tools:
        body["tools"] = tools
        if choice:
            body["tool_choice"] = choice
    if request.user is not None:
        body["metadata"] = {"user_id": request.user}
    if stream:
        body["stream"] = True
    return body


def response_tool(request: ChatRequest) -> Json | None:
    """The tool that carries a JSON answer (``response_format`` json_schema: its schema;
    json_object: any object), or None when the request asks for text."""
    fmt = request.response_format
    if fmt is None or fmt.type not in ("json_object", "json_schema"):
        return None
    spec = fmt.json_schema if isinstance(fmt.json_schema, dict) else {}
    schema = spec.get("schema")
    if not isinstance(schema, dict) or fmt.type == "json_object":
        schema = {"type": "object", "additionalProperties": True}
    description = spec.get("description") or "Give your whole answer as this tool's input."
    return {"name": RESPONSE_TOOL, "description": str(description), "input_schema": schema}


def _forced_answer(choice: Json | None, has_tools: bool) -> Json:
    """The tool choice with the answer tool added: forced when it is the only tool; with
    the client's tools, some tool must be called (theirs, or the answer), unless the
    client named one or said none (then the answer is forced)."""
    kind = (choice or {}).get("type")
    if not has_tools or kind == "none":
        return {"type": "tool", "name": RESPONSE_TOOL, "disable_parallel_tool_use": True}
    if kind == "tool":
        return choice or {}
    return {"type": "any", "disable_parallel_tool_use": True}


def _sampling(request: ChatRequest) -> Json:
    if request.temperature is not None:
        # OpenAI's range is 0-2, Anthropic's 0-1.
        return {"temperature": min(max(request.temperature, 0.0), 1.0)}
    if request.top_p is not None:
        # Claude 4.5+ refuse temperature and top_p together, so temperature wins above.
        return {"top_p": request.top_p}
    return {}


def convert_messages(raw: list[Message]) -> tuple[str, list[Json]]:
    """``(system text, alternating messages)`` from OpenAI messages.

    System and developer messages become the top-level system text. Tool results become
    ``tool_result`` blocks of a user turn; consecutive turns of the same role are merged
    because Anthropic rejects two user (or two assistant) messages in a row.
    """
    system: list[str] = []
    out: list[Json] = []
    for msg in raw:
        role = msg.role
        if role in ("system", "developer"):
            if text := text_of(msg.content):
                system.append(text)
            continue
        if role == "user":
            turn, blocks = "user", _user_blocks(msg.content)
        elif role == "assistant":
            turn, blocks = "assistant", _assistant_blocks(msg)
        elif role == "tool":
            turn, blocks = "user", [_tool_result(msg)]
        else:
            raise bad_request(f"message role {role!r} is not supported")
        if not blocks:
            continue
        if out and out[-1]["role"] == turn:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": turn, "content": blocks})
    return "\n\n".join(system), out


def _user_blocks(content: Content) -> list[Json]:
    if type(content) is str:  # the usual user message: one text block, if any text
        return [{"type": "text", "text": content}] if content else []
    blocks: list[Json] = []
    for part in content_parts(content):
        kind = part.type or "text"
        if (text := part_text(part)) is not None:
            if text:  # Anthropic rejects empty text blocks.
                blocks.append({"type": "text", "text": text})
        elif kind == "image_url":
            blocks.append(_image(image_url(part)))
        else:
            raise bad_request(f"content part type {kind!r} is not supported by Anthropic")
    return blocks


def _image(url: str) -> Json:
    data_url = parse_data_url(url)
    if data_url is None:
        return {"type": "image", "source": {"type": "url", "url": url}}
    media_type, data = data_url
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def _assistant_blocks(msg: Message) -> list[Json]:
    # Earlier reasoning is not replayed: Anthropic only accepts thinking blocks with the
    # signature it issued, which the OpenAI format does not carry.
    blocks: list[Json] = [{"type": "text", "text": text} for text in texts_of(msg.content)]
    for call in msg.tool_calls:
        function = call.function
        blocks.append(
            {
                "type": "tool_use",
                "id": call.id or "",
                "name": (function.name if function else None) or "",
                "input": tool_arguments(function.arguments if function else None),
            }
        )
    return blocks


def _tool_result(msg: Message) -> Json:
    block: Json = {"type": "tool_result", "tool_use_id": msg.tool_call_id or ""}
    if text := text_of(msg.content):
        block["content"] = text
    return block


def _tool(function: FunctionDef) -> Json:
    tool: Json = {
        "name": function.name,
        "input_schema": function.parameters or {"type": "object", "properties": {}},
    }
    if function.description:
        tool["description"] = function.description
    return tool


def _tool_choice(request: ChatRequest) -> Json | None:
    choice = request.tool_choice
    mode = choice.mode if choice is not None else None
    out: Json | None
    if mode == "auto":
        out = {"type": "auto"}
    elif mode == "required":
        out = {"type": "any"}
    elif mode == "none":
        return {"type": "none"}  # disable_parallel_tool_use is not allowed with none.
    elif (name := named_tool_choice(choice)) is not None:
        out = {"type": "tool", "name": name}
    else:
        out = None
    if request.parallel_tool_calls is False:
        out = {**(out or {"type": "auto"}), "disable_parallel_tool_use": True}
    return out

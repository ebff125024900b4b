"""Reading the chat request: the helpers every non-OpenAI wire format needs.

Formats that are not OpenAI-compatible all have to answer the same questions of the
request — what text does a message hold, which parts are images, what are a tool call's
arguments, which function does a tool result answer — and must answer them identically,
so they are answered here once, over the typed domain request.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from gate_service.domain import ChatRequest, Content, ContentPart, FunctionDef, ToolChoice
from gate_service.providers.base import FailureKind, Json, UpstreamFailure

_FIELDS = frozenset(f.name for f in dataclasses.fields(ChatRequest))


def bad_request(message: str) -> UpstreamFailure:
    """A request this format cannot express: returned to the client as a 400."""
    return UpstreamFailure(FailureKind.BAD_REQUEST, 400, message)


def without_rejected(request: ChatRequest, rejected: tuple[str, ...]) -> ChatRequest:
    """The request minus the parameters the catalog says this vendor refuses (typed
    fields cleared, unknown ones dropped from ``extra``)."""
    if not rejected:
        return request
    changes: dict[str, Any] = {}
    for name in rejected:
        if name in _FIELDS:
            changes[name] = [] if isinstance(getattr(request, name), list) else None
    extra = {k: v for k, v in request.extra.items() if k not in rejected}
    return dataclasses.replace(request, **changes, extra=extra)


def content_parts(content: Content) -> list[ContentPart]:
    """A message's content as a list of content parts (a string is one text part)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [ContentPart("text", content)] if content else []
    return content


def part_text(part: ContentPart) -> str | None:
    """The text of a text or refusal part; None for other part types."""
    kind = part.type or "text"
    if kind == "text":
        return part.text or ""
    if kind == "refusal":
        return str(part.extra.get("refusal") or "")
    return None


def texts_of(content: Content) -> list[str]:
    """The non-empty texts of a message's content (text and refusal parts)."""
    if type(content) is str:  # the usual message, without a part object per message
        return [content] if content else []
    return [t for p in content_parts(content) if (t := part_text(p))]


def text_of(content: Content) -> str:
    """All text of a message's content, parts joined by newlines; other parts ignored."""
    return "\n".join(texts_of(content))


def image_url(part: ContentPart) -> str:
    """The URL of an ``image_url`` part."""
    url = part.image_url.url if part.image_url is not None else None
    if not url:
        raise bad_request("an image_url part has no url")
    return url


def parse_data_url(url: str) -> tuple[str, str] | None:
    """``(media type, base64 data)`` of a ``data:`` URL; None for any other URL."""
    if not url.startswith("data:"):
        return None
    header, sep, data = url[5:].partition(",")
    params = header.split(";")
    if not sep or "base64" not in params[1:]:
        raise bad_request("image data URLs must be base64-encoded (data:<type>;base64,...)")
    return params[0] or "application/octet-stream", data


def tool_arguments(raw: str | None) -> Json:
    """A tool call's arguments as an object.

    OpenAI carries them as JSON text; Anthropic and Gemini want an object. Arguments that
    are not a JSON object (a model may have produced broken JSON that the client now
    replays) are kept as ``{"_raw": text}`` rather than dropped, so the model still sees
    what it sent and the conversation does not fail on its own history.
    """
    if raw is None or not raw.strip():
        return {}
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {"_raw": raw}
    return parsed if isinstance(parsed, dict) else {"_raw": raw}


def max_output_tokens(request: ChatRequest) -> int | None:
    """``max_completion_tokens`` (current name) or ``max_tokens`` (legacy name)."""
    if request.max_completion_tokens is not None:
        return request.max_completion_tokens
    return request.max_tokens


def stop_sequences(request: ChatRequest) -> list[str]:
    """``stop`` as a list, empty strings dropped."""
    return [s for s in request.stop if s]


def top_k(request: ChatRequest) -> int | None:
    """``top_k``: not an OpenAI parameter, so it rides in ``extra`` (the Messages API's
    own, and what OpenAI-format servers such as vLLM take). Formats with a top-k knob
    (Anthropic ``top_k``, Gemini ``topK``) send it rather than lose it; a value that is
    not a non-negative integer is refused (400), as the vendor itself would refuse it."""
    value = request.extra.get("top_k")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad_request("top_k must be a non-negative integer")
    return value


def function_tools(request: ChatRequest) -> list[FunctionDef]:
    """The function definitions of the request's function tools."""
    return [
        tool.function
        for tool in request.tools
        if (tool.type or "function") == "function" and tool.function and tool.function.name
    ]


def named_tool_choice(choice: ToolChoice | None) -> str | None:
    """The function name of ``{"type": "function", "function": {"name": ...}}`` (also when
    the object carries more than the name, and so arrived untyped in ``other``)."""
    if choice is None:
        return None
    if choice.function_name is not None:
        return choice.function_name
    if isinstance(choice.other, dict):
        function = choice.other.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return str(function["name"])
    return None

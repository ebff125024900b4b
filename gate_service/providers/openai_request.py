"""Reading the OpenAI chat request: the helpers every non-OpenAI wire format needs.

The gateway's domain request is the OpenAI chat-completions dict. Formats that are not
OpenAI-compatible all have to answer the same questions of it — what text does a message
hold, which parts are images, what are a tool call's arguments, which function does a
tool result answer — and must answer them identically, so they are answered here once.
"""

from __future__ import annotations

from typing import Any

import orjson

from gate_service.providers.base import FailureKind, Json, UpstreamFailure


def bad_request(message: str) -> UpstreamFailure:
    """A request this format cannot express: returned to the client as a 400."""
    return UpstreamFailure(FailureKind.BAD_REQUEST, 400, message)


def without_rejected(request: Json, rejected: tuple[str, ...]) -> Json:
    """The request minus the parameters the catalog says this vendor refuses."""
    if not rejected:
        return request
    return {k: v for k, v in request.items() if k not in rejected}


def content_parts(content: Any) -> list[Json]:
    """A message's content as a list of OpenAI content parts (a string is one text part)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if isinstance(content, list):
        return [p if isinstance(p, dict) else {"type": "text", "text": str(p)} for p in content]
    raise bad_request("message content must be a string or a list of content parts")


def part_text(part: Json) -> str | None:
    """The text of a text or refusal part; None for other part types."""
    kind = part.get("type", "text")
    if kind == "text":
        return str(part.get("text") or "")
    if kind == "refusal":
        return str(part.get("refusal") or "")
    return None


def text_of(content: Any) -> str:
    """All text of a message's content, parts joined by newlines; other parts ignored."""
    texts = [t for p in content_parts(content) if (t := part_text(p))]
    return "\n".join(texts)


def image_url(part: Json) -> str:
    """The URL of an ``image_url`` part (an object with ``url``, or a bare string)."""
    value = part.get("image_url")
    url = value.get("url") if isinstance(value, dict) else value
    if not isinstance(url, str) or not url:
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


def tool_arguments(raw: Any) -> Json:
    """A tool call's arguments as an object.

    OpenAI carries them as JSON text; Anthropic and Gemini want an object. Arguments that
    are not a JSON object (a model may have produced broken JSON that the client now
    replays) are kept as ``{"_raw": text}`` rather than dropped, so the model still sees
    what it sent and the conversation does not fail on its own history.
    """
    if isinstance(raw, dict):
        return raw
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    try:
        parsed = orjson.loads(raw)
    except (orjson.JSONDecodeError, TypeError):
        return {"_raw": str(raw)}
    return parsed if isinstance(parsed, dict) else {"_raw": str(raw)}


def max_output_tokens(request: Json) -> int | None:
    """``max_completion_tokens`` (current name) or ``max_tokens`` (legacy name)."""
    for key in ("max_completion_tokens", "max_tokens"):
        value = request.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def stop_sequences(request: Json) -> list[str]:
    """``stop`` as a list (OpenAI accepts a string or a list), empty strings dropped."""
    stop = request.get("stop")
    if isinstance(stop, str):
        return [stop] if stop else []
    if isinstance(stop, list):
        return [s for s in stop if isinstance(s, str) and s]
    return []


def function_tools(request: Json) -> list[Json]:
    """The ``function`` objects of the request's function tools."""
    out = []
    for tool in request.get("tools") or []:
        if isinstance(tool, dict) and tool.get("type", "function") == "function":
            function = tool.get("function")
            if isinstance(function, dict) and function.get("name"):
                out.append(function)
    return out


def named_tool_choice(choice: Any) -> str | None:
    """The function name of ``{"type": "function", "function": {"name": ...}}``."""
    if isinstance(choice, dict):
        function = choice.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return str(function["name"])
    return None

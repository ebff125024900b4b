"""Range and shape checks of a chat request (api.md), run in the core on the typed request,
after authentication, so that gRPC and REST clients get the same 400 for the same fault.
Pure: raises ``invalid`` naming the param.

**Nesting depth.** Free-form JSON (unknown fields, tool parameters, response_format
schemas, message extras) travels as bytes and is serialised again for the upstream with
orjson, which refuses more than 254 levels (a 500 before this check). A request nested
deeper than ``max_depth`` (``Settings.max_json_depth``, 64: far above any real schema,
far below orjson's limit even inside an adapter's envelope) is a 400 naming the path of
the first container too deep. The typed part of a request has a fixed depth, so only the
free-form values are walked, each as it is loaded from proto (``check_nested``, called by
``proto_convert.request``) and counted from where it sits in the request. The bridge
bounds a parsed body as a whole (``check_depth``) before it converts it. The walk is
iterative (no recursion limit to hit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from gate_service.domain import ChatRequest
from gate_service.errors import invalid

# Settings.max_json_depth's default; the core passes the configured value.
DEFAULT_MAX_DEPTH = 64
# How much of the path to a too-deep container the error's param shows.
_PATH_KEYS = 8
_KEY_CHARS = 64

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_FORMATS = frozenset({"text", "json_object", "json_schema"})
_TOOL_MODES = frozenset({"none", "auto", "required"})
_PART_TYPES = frozenset({"text", "image_url", "input_audio", "file", "refusal"})

# param -> (low, high) inclusive; None means unbounded on that side.
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "temperature": (0, 2),
    "top_p": (0, 1),
    "n": (1, 128),
    "max_tokens": (1, None),
    "max_completion_tokens": (1, None),
    "presence_penalty": (-2, 2),
    "frequency_penalty": (-2, 2),
    "top_logprobs": (0, 20),
}
OPTION_RANGES: dict[str, tuple[float | None, float | None]] = {
    "max_cost_usd": (0.001, 100),
    "cache_ttl_seconds": (60, 86400),
    "timeout_ms": (1, 3_600_000),
    "retry_count": (0, 10),
}


def too_deep(value: Any, max_depth: int) -> bool:
    """Whether ``value`` holds containers (objects, arrays) nested more than ``max_depth``
    levels deep; the outermost container is level 1. Level by level, without recursion:
    about 2 µs for an ordinary chat request, 0.1 s for one of 150,000 messages."""
    level = [value]
    depth = 1
    while level:
        if depth > max_depth:
            return True
        below = []
        for item in level:
            for child in item.values() if type(item) is dict else item:
                kind = type(child)
                if kind is dict or kind is list:
                    below.append(child)
        level = below
        depth += 1
    return False


def _deep_keys(value: Any, max_depth: int, depth: int = 1) -> list[str | int] | None:
    """The keys down to the first container deeper than ``max_depth`` (outermost first),
    or None. Recursion is bounded by ``max_depth``."""
    if depth > max_depth:
        return []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        if isinstance(child, dict | list):
            found = _deep_keys(child, max_depth, depth + 1)
            if found is not None:
                return [key, *found]
    return None


def _param(keys: list[str | int]) -> str | None:
    """``messages[0].x``: the first few keys (each cut short), enough to find the place."""
    path = ""
    for key in keys[:_PATH_KEYS]:
        if isinstance(key, int):
            path += f"[{key}]"
        else:
            path += f".{key[:_KEY_CHARS]}" if path else key[:_KEY_CHARS]
    return path + ("..." if len(keys) > _PATH_KEYS else "") or None


def check_depth(value: dict[str, Any] | list[Any], max_depth: int) -> None:
    """A 400 naming (the start of) the path to the first container nested deeper than
    ``max_depth`` levels."""
    check_nested(value, max_depth, 1, ())


def check_nested(
    value: dict[str, Any] | list[Any], max_depth: int, level: int, path: Sequence[str | int]
) -> None:
    """``check_depth`` for a container that sits at ``level`` (1: the outermost) of a
    larger document, at ``path``: the 400 names the whole path."""
    room = max_depth - level + 1
    if too_deep(value, room):
        raise invalid(
            f"The JSON is nested deeper than {max_depth} levels.",
            _param([*path, *(_deep_keys(value, room) or [])]),
        )


def check_range(value: Any, low: float | None, high: float | None, param: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise invalid(f"'{param}' must be a finite number; got {value}", param)
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            bound = f"at least {low:g}"
        elif low is None:
            bound = f"at most {high:g}"
        else:
            bound = f"between {low:g} and {high:g}"
        raise invalid(f"'{param}' must be {bound}; got {value}", param)


def validate_chat_request(req: ChatRequest) -> None:
    """Raise a 400 ``invalid_request`` for the first problem found (nesting depth was
    bounded when the request was built)."""
    if not req.model:
        raise invalid("'model' is required", "model")
    if not req.messages:
        raise invalid("'messages' must contain at least one message", "messages")
    for i, message in enumerate(req.messages):
        role = message.role
        if role not in ROLES:
            raise invalid(
                f"'messages[{i}].role' must be one of {', '.join(sorted(ROLES))}",
                f"messages[{i}].role",
            )
        content = message.content
        if isinstance(content, list):
            for j, part in enumerate(content):
                if part.type not in _PART_TYPES:
                    raise invalid(
                        f"'messages[{i}].content[{j}].type' is not a known part type",
                        f"messages[{i}].content[{j}].type",
                    )
                if part.type == "image_url" and not (part.image_url and part.image_url.url):
                    raise invalid(
                        "image_url parts need an 'image_url.url'",
                        f"messages[{i}].content[{j}].image_url",
                    )
        elif content is None and role not in ("assistant",):
            raise invalid(f"'messages[{i}].content' is required", f"messages[{i}].content")
    for param, (low, high) in _RANGES.items():
        if (value := getattr(req, param)) is not None:
            check_range(value, low, high, param)
    if len(req.stop) > 4:
        raise invalid("'stop' takes at most 4 sequences", "stop")
    fmt = req.response_format
    if fmt is not None and fmt.type not in _FORMATS:
        raise invalid(
            "'response_format.type' must be text, json_object or json_schema",
            "response_format.type",
        )
    choice = req.tool_choice
    if choice is not None and choice.mode is not None and choice.mode not in _TOOL_MODES:
        raise invalid("'tool_choice' must be none, auto, required or a function", "tool_choice")
    for i, tool in enumerate(req.tools):
        fn = tool.function
        if tool.type == "function" and not (fn and fn.name):
            raise invalid("each function tool needs 'function.name'", f"tools[{i}].function")
    options = req.options
    for key, (low, high) in OPTION_RANGES.items():
        if (value := getattr(options, key)) is not None:
            check_range(value, low, high, f"spidergate_options.{key}")

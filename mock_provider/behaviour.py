"""The mock "model": a pure, deterministic function from a request to a reply.

Everything here is wire-format independent.  Formats translate their request
into OpenAI-shaped ``messages``/``tools`` (the lingua franca of the gateway),
call :func:`decide`, and render the :class:`Reply` in their own shape.  Being a
pure function of the request is the whole point: a test can send the same
prompt twice, streamed and not streamed, through different providers, and
compare the answers byte for byte.

Rules (kept deliberately small so tests can predict them):

* Tools present, ``tool_choice`` not ``"none"`` and the conversation does not
  end with a tool result -> exactly one tool call, to the named tool or the
  first one, with arguments sampled from its JSON Schema.
* Otherwise a short text reply derived from the model and the last user text.
  ``[mock:words=N]`` in the last user text asks for exactly N words instead
  (for benchmarks that want long streams).
* ``response_format`` json_object / json_schema -> the text is JSON.
* ``stop`` cuts at the earliest stop string; ``max_tokens`` truncates to N
  "tokens" (whitespace-led words) and yields ``finish_reason="length"``.
* Formats that report prompt caching (Anthropic, Gemini) report half of the
  prompt as read from cache when the system prompt is longer than
  :data:`CACHE_TRIGGER_CHARS` (:func:`cached_prompt_tokens`).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = [
    "CACHE_TRIGGER_CHARS",
    "Reply",
    "ToolCall",
    "argument_fragments",
    "cached_prompt_tokens",
    "content_text",
    "decide",
    "estimate_prompt_tokens",
    "last_user_text",
    "sample_arguments",
    "sample_value",
    "split_pieces",
]

ECHO_WORDS = 20
"""At most this many words of the user's text are echoed back."""
ECHO_CHARS = 160
"""...and at most this many characters, so replies stay short."""
MAX_DIRECTIVE_WORDS = 8192
IMAGE_TOKENS = 85
"""What OpenAI bills for a low-detail image; any constant would do."""
ARGUMENT_FRAGMENT_CHARS = 8
"""Streamed tool-call arguments are cut into fragments of this many chars."""
CACHE_TRIGGER_CHARS = 100
"""A system prompt longer than this counts as a cache hit (see :func:`cached_prompt_tokens`)."""

_PIECE = re.compile(r"\s*\S+")
_WORDS_DIRECTIVE = re.compile(r"\[mock:words=(\d{1,6})\]")
_FILLER = (
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
    "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
    "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
)  # fmt: skip
_TOOL_RESULT_ROLES = frozenset({"tool", "function"})
_MAX_SCHEMA_DEPTH = 8


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One function call the mock model decided to make."""

    id: str
    name: str
    arguments: str
    """Compact JSON object text, exactly what OpenAI puts in ``arguments``."""

    def fragments(self) -> list[str]:
        """The argument text cut the way streaming formats deliver it."""
        return argument_fragments(self.arguments)


@dataclass(frozen=True, slots=True)
class Reply:
    """The model's decision, before any wire format is applied.

    ``finish_reason`` uses OpenAI's vocabulary (``stop``/``length``/
    ``tool_calls``); other formats map it.  ``stop_sequence`` is the stop
    string that ended the text, for formats (Anthropic) that report it.
    """

    text: str | None
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    stop_sequence: str | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def pieces(self) -> list[str]:
        """The text as streamed: one whitespace-led word per piece."""
        return split_pieces(self.text or "")


def decide(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
    tool_choice: Any = None,
    max_tokens: int | None = None,
    stop: str | Sequence[str] | None = None,
    response_format: Mapping[str, Any] | None = None,
) -> Reply:
    """Decide the reply to an (already validated) OpenAI-shaped request."""
    prompt_tokens = estimate_prompt_tokens(messages, tools)
    function = _pick_function(messages, tools, tool_choice)
    if function is not None:
        call = _make_tool_call(model, messages, function)
        completion = len(call.fragments()) + 1
        return Reply(None, (call,), "tool_calls", prompt_tokens, completion)

    text = _reply_text(model, last_user_text(messages), response_format)
    matched: str | None = None
    stops = [stop] if isinstance(stop, str) else list(stop or ())
    cut = -1
    for candidate in stops:
        index = text.find(candidate) if candidate else -1
        if index >= 0 and (cut < 0 or index < cut):
            cut, matched = index, candidate
    if cut >= 0:
        text = text[:cut]
    pieces = split_pieces(text)
    if max_tokens is not None and len(pieces) > max_tokens:
        truncated = "".join(pieces[:max_tokens])
        return Reply(truncated, (), "length", prompt_tokens, max_tokens)
    return Reply(text, (), "stop", prompt_tokens, len(pieces), matched)


def split_pieces(text: str) -> list[str]:
    """Cut text into whitespace-led words; ``"".join(pieces) == text``.

    A piece is the mock's notion of a token: it is what ``max_tokens`` counts
    and what one streamed content delta carries.
    """
    pieces: list[str] = _PIECE.findall(text)
    tail = text[len(text.rstrip()) :]
    if tail:
        if pieces:
            pieces[-1] += tail
        else:
            pieces.append(tail)
    return pieces


def argument_fragments(arguments: str) -> list[str]:
    """Cut tool-call argument text into the fragments a stream delivers."""
    if not arguments:
        return [""]
    step = ARGUMENT_FRAGMENT_CHARS
    return [arguments[i : i + step] for i in range(0, len(arguments), step)]


def content_text(content: Any) -> str:
    """The text of an OpenAI message ``content`` (string or list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
        return " ".join(texts)
    return ""


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """Text of the last ``user`` message ("" if there is none)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def estimate_prompt_tokens(
    messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]] | None = None
) -> int:
    """ceil(chars / 4) + 4 per message, + 85 per image, + the tools' JSON size / 4."""
    chars = 0
    images = 0
    for message in messages:
        content = message.get("content")
        chars += len(content_text(content))
        if isinstance(content, list):
            images += sum(
                1
                for part in content
                if isinstance(part, dict) and part.get("type") in ("image_url", "input_image")
            )
        for call in message.get("tool_calls") or ():
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                chars += len(str(function.get("name") or ""))
                chars += len(str(function.get("arguments") or ""))
    tokens = math.ceil(chars / 4) + 4 * len(messages) + IMAGE_TOKENS * images
    if tools:
        tokens += math.ceil(len(orjson.dumps(tools)) / 4)
    return tokens


def cached_prompt_tokens(system_text: str, prompt_tokens: int) -> int:
    """How many prompt tokens a caching provider reports as read from its cache.

    Real prompt caches hit on a long, repeated prefix, which a stateless mock
    cannot observe; its stand-in is "a system prompt longer than
    :data:`CACHE_TRIGGER_CHARS`", which reads half of the prompt from cache.
    That is deterministic and easy to trigger, so the gateway can test its
    cached-token accounting.
    """
    return prompt_tokens // 2 if len(system_text) > CACHE_TRIGGER_CHARS else 0


def sample_value(schema: Any, depth: int = 0) -> Any:
    """A deterministic value that satisfies the common JSON-Schema shapes.

    string -> "sample", integer -> 1, number -> 1.5, boolean -> true,
    array -> [], enum -> its first value, object -> its required properties
    (or all of them when none are required), recursively.
    """
    if not isinstance(schema, dict) or depth > _MAX_SCHEMA_DEPTH:
        return "sample"
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    if "const" in schema:
        return schema["const"]
    for combinator in ("anyOf", "oneOf", "allOf"):
        options = schema.get(combinator)
        if isinstance(options, list) and options:
            non_null = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            return sample_value((non_null or options)[0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None and isinstance(schema.get("properties"), dict):
        kind = "object"
    if kind == "object":
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            properties = {}
        required = [k for k in schema.get("required") or () if isinstance(k, str)]
        keys = required or list(properties)
        return {key: sample_value(properties.get(key, {}), depth + 1) for key in keys}
    return _SCALAR_SAMPLES.get(kind, "sample") if isinstance(kind, str) else "sample"


_SCALAR_SAMPLES: dict[str, Any] = {
    "string": "sample",
    "integer": 1,
    "number": 1.5,
    "boolean": True,
    "array": [],
    "null": None,
}


def sample_arguments(parameters: Any) -> dict[str, Any]:
    """Tool-call arguments for a function's ``parameters`` schema (always an object)."""
    value = sample_value(parameters) if isinstance(parameters, dict) else {}
    return value if isinstance(value, dict) else {}


def _pick_function(
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None,
    tool_choice: Any,
) -> Mapping[str, Any] | None:
    if not tools or tool_choice == "none":
        return None
    if messages and messages[-1].get("role") in _TOOL_RESULT_ROLES:
        return None  # answer the tool result in text so agent loops terminate
    functions = [
        t["function"]
        for t in tools
        if isinstance(t, Mapping) and isinstance(t.get("function"), dict)
    ]
    if not functions:
        return None
    if isinstance(tool_choice, dict):
        wanted = (tool_choice.get("function") or {}).get("name")
        for function in functions:
            if function.get("name") == wanted:
                return function
    return functions[0]


def _make_tool_call(
    model: str, messages: Sequence[Mapping[str, Any]], function: Mapping[str, Any]
) -> ToolCall:
    name = str(function.get("name") or "")
    arguments = orjson.dumps(sample_arguments(function.get("parameters"))).decode()
    seed = f"{model}\0{name}\0{len(messages)}\0{last_user_text(messages)}"
    digest = hashlib.blake2b(seed.encode(), digest_size=12).hexdigest()
    return ToolCall(id=f"call_{digest}", name=name, arguments=arguments)


def _reply_text(model: str, user_text: str, response_format: Mapping[str, Any] | None) -> str:
    directive = _WORDS_DIRECTIVE.search(user_text)
    if directive:
        text = _long_text(model, int(directive.group(1)))
    else:
        digest = hashlib.blake2b(f"{model}\0{user_text}".encode(), digest_size=4).hexdigest()
        echo = " ".join(user_text.split()[:ECHO_WORDS])[:ECHO_CHARS] or "nothing"
        text = f'Mock reply from {model}: you said "{echo}" [{digest}]'
    if response_format:
        kind = response_format.get("type")
        if kind == "json_object":
            return orjson.dumps({"reply": text}).decode()
        if kind == "json_schema":
            spec = response_format.get("json_schema")
            schema = spec.get("schema") if isinstance(spec, dict) else None
            return orjson.dumps(sample_value(schema if schema is not None else {})).decode()
    return text


def _long_text(model: str, words: int) -> str:
    words = max(1, min(words, MAX_DIRECTIVE_WORDS))
    head = ["Mock", "reply", "from", f"{model}:"]
    filler = [_FILLER[i % len(_FILLER)] for i in range(max(0, words - len(head)))]
    return " ".join((head + filler)[:words])

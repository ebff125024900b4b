"""JSON Schema of the Messages API routes for the OpenAPI document: Anthropic's request,
message, count and error shapes as :mod:`bridge.messages` reads and writes them. Written
out rather than read off a proto (the request is translated, not converted), with the
ranges of ``chat/validation.py`` that the translated request meets."""

from __future__ import annotations

from bridge.prompt_reference import PROMPT_REFERENCE
from bridge.proto_schema import Schema

_TEXT: Schema = {
    "type": "object",
    "properties": {"type": {"const": "text"}, "text": {"type": "string"}},
    "required": ["type", "text"],
}
_SYSTEM: Schema = {"anyOf": [{"type": "string"}, {"type": "array", "items": _TEXT}]}
_BLOCK: Schema = {
    "type": "object",
    "description": "text, image (source base64 or url), tool_use, tool_result (content a "
    "string or blocks; is_error), thinking / redacted_thinking (not sent upstream)",
    "properties": {
        "type": {
            "type": "string",
            "enum": [
                "text",
                "image",
                "tool_use",
                "tool_result",
                "thinking",
                "redacted_thinking",
            ],
        }
    },
    "required": ["type"],
}
_MESSAGE: Schema = {
    "type": "object",
    "properties": {
        "role": {"type": "string", "enum": ["user", "assistant"]},
        "content": {"anyOf": [{"type": "string"}, {"type": "array", "items": _BLOCK}]},
    },
    "required": ["role", "content"],
}
_TOOL: Schema = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "input_schema": {"type": "object"},
    },
    "required": ["name", "input_schema"],
}
_TOOL_CHOICE: Schema = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["auto", "any", "tool", "none"]},
        "name": {"type": "string"},
        "disable_parallel_tool_use": {"type": "boolean"},
    },
    "required": ["type"],
}


def request(*, counting: bool = False) -> Schema:
    """A Messages request (``counting``: a count_tokens one, without ``max_tokens``)."""
    props: Schema = {
        "model": {"type": "string", "minLength": 1},
        "system": _SYSTEM,
        "messages": {"type": "array", "items": _MESSAGE, "minItems": 1},
        "tools": {"type": "array", "items": _TOOL},
        "tool_choice": _TOOL_CHOICE,
        **PROMPT_REFERENCE,
    }
    if not counting:
        props |= {
            "max_tokens": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            "stop_sequences": {"type": "array", "items": {"type": "string"}, "maxItems": 4},
            "temperature": {"type": "number", "minimum": 0, "maximum": 2},
            "top_p": {"type": "number", "minimum": 0, "maximum": 1},
            "top_k": {
                "type": "integer",
                "minimum": 0,
                "description": "sent as Anthropic's top_k, Gemini's topK, or as is to an "
                "OpenAI-format upstream",
            },
            "metadata": {"type": "object", "properties": {"user_id": {"type": "string"}}},
            "stream": {"type": "boolean"},
        }
    required = ["model", "messages"] if counting else ["model", "messages", "max_tokens"]
    return {
        "type": "object",
        "description": "Other keys (thinking, service_tier...) are passed on to the provider.",
        "properties": props,
        "required": required,
    }


_USAGE: Schema = {
    "type": "object",
    "properties": {
        "input_tokens": {"type": "integer"},
        "output_tokens": {"type": "integer"},
        "cache_read_input_tokens": {"type": "integer"},
        "cache_creation_input_tokens": {"type": "integer"},
    },
    "required": ["input_tokens", "output_tokens"],
}
MESSAGE: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "type": {"const": "message"},
        "role": {"const": "assistant"},
        "model": {"type": "string", "description": "the model that served it"},
        "content": {"type": "array", "items": {"type": "object"}},
        "stop_reason": {"enum": ["end_turn", "max_tokens", "tool_use", "refusal", None]},
        "stop_sequence": {"type": ["string", "null"]},
        "usage": _USAGE,
    },
    "required": ["id", "type", "role", "model", "content", "stop_reason", "usage"],
}
EVENT: Schema = {
    "type": "object",
    "description": "One event: message_start, ping, content_block_start, "
    "content_block_delta (text_delta, input_json_delta), content_block_stop, "
    "message_delta (stop_reason, usage), message_stop; or error.",
    "properties": {"type": {"type": "string"}},
    "required": ["type"],
}
COUNT: Schema = {
    "type": "object",
    "properties": {"input_tokens": {"type": "integer", "minimum": 0}},
    "required": ["input_tokens"],
}


def error(types: list[str], codes: list[str]) -> Schema:
    """Anthropic's error shape, with our reason code (and param) beside its ``type``."""
    return {
        "type": "object",
        "properties": {
            "type": {"const": "error"},
            "error": {
                "type": "object",
                "properties": {
                    "type": {"type": "string", "enum": types},
                    "code": {"type": "string", "enum": codes},
                    "message": {"type": "string"},
                    "param": {"type": ["string", "null"]},
                },
                "required": ["type", "code", "message", "param"],
            },
        },
        "required": ["type", "error"],
    }

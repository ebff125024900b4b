"""The same two answers — a text answer and a tool-call answer — written by hand in each
wire format, whole and streamed. The conformance suite checks every adapter turns them
into the same OpenAI message."""

from __future__ import annotations

from typing import Any

MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-sonnet-4-5", "gemini": "gemini-2.5-flash"}

TEXT = "Paris is sunny, 21°C."
ARGS = {"city": "Paris", "unit": "c"}

# --- OpenAI ---------------------------------------------------------------------------

_OA_USAGE = {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28}


def _oa_chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


_OA_USAGE_CHUNK = {**_oa_chunk({}), "choices": [], "usage": _OA_USAGE}


def _oa_answer(message: dict[str, Any], finish: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": _OA_USAGE,
    }


OPENAI: dict[str, Any] = {
    "text": _oa_answer({"role": "assistant", "content": TEXT, "refusal": None}, "stop"),
    "tool": _oa_answer(
        {
            "role": "assistant",
            "content": None,
            "refusal": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris","unit":"c"}'},
                }
            ],
        },
        "tool_calls",
    ),
    "text_stream": [
        _oa_chunk({"role": "assistant", "content": ""}),
        _oa_chunk({"content": "Paris is sunny, "}),
        _oa_chunk({"content": "21°C."}),
        _oa_chunk({}, "stop"),
        _OA_USAGE_CHUNK,
        "[DONE]",
    ],
    "tool_stream": [
        _oa_chunk({"role": "assistant", "content": None}),
        _oa_chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            }
        ),
        _oa_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":"Pa'}}]}),
        _oa_chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ris","unit":"c"}'}}]}),
        _oa_chunk({}, "tool_calls"),
        _OA_USAGE_CHUNK,
        "[DONE]",
    ],
}

# --- Anthropic ------------------------------------------------------------------------

_AN_USAGE = {"input_tokens": 20, "output_tokens": 8}


def _an_message(content: list[dict[str, Any]], stop: str) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": _AN_USAGE,
    }


def _an_stream(blocks: list[dict[str, Any]], stop: str) -> list[Any]:
    start = {
        **_an_message([], stop),
        "stop_reason": None,
        "usage": {**_AN_USAGE, "output_tokens": 1},
    }
    return [
        {"type": "message_start", "message": start},
        *blocks,
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": 8},
        },
        {"type": "message_stop"},
    ]


ANTHROPIC: dict[str, Any] = {
    "text": _an_message([{"type": "text", "text": TEXT}], "end_turn"),
    "tool": _an_message(
        [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": ARGS}], "tool_use"
    ),
    "text_stream": _an_stream(
        [
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
            {"type": "ping"},
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "Paris is sunny, "},
            },
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "21°C."},
            },
            {"type": "content_block_stop", "index": 0},
        ],
        "end_turn",
    ),
    "tool_stream": _an_stream(
        [
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "get_weather",
                    "input": {},
                },
            },
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": '{"city": "Pa'},
            },
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": 'ris", "unit": "c"}'},
            },
            {"type": "content_block_stop", "index": 0},
        ],
        "tool_use",
    ),
}

# --- Gemini ---------------------------------------------------------------------------

_GE_USAGE = {"promptTokenCount": 20, "candidatesTokenCount": 8, "totalTokenCount": 28}


def _ge(parts: list[dict[str, Any]], finish: str | None, usage: dict[str, Any]) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return {
        "candidates": [candidate],
        "usageMetadata": usage,
        "modelVersion": "gemini-2.5-flash",
        "responseId": "resp-1",
    }


_GE_CALL = {"functionCall": {"name": "get_weather", "args": ARGS}}
_GE_PARTIAL = {"promptTokenCount": 20, "totalTokenCount": 20}

GEMINI: dict[str, Any] = {
    "text": _ge([{"text": TEXT}], "STOP", _GE_USAGE),
    "tool": _ge([_GE_CALL], "STOP", _GE_USAGE),
    "text_stream": [
        _ge([{"text": "Paris is sunny, "}], None, _GE_PARTIAL),
        _ge([{"text": "21°C."}], "STOP", _GE_USAGE),
    ],
    "tool_stream": [_ge([_GE_CALL], "STOP", _GE_USAGE)],
}

CANNED: dict[str, dict[str, Any]] = {"openai": OPENAI, "anthropic": ANTHROPIC, "gemini": GEMINI}

"""Chat answers as Messages API answers (bridge/messages_answer.py, messages_stream.py):
the whole message, the event stream, and errors in Anthropic's shape."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from bridge.messages_answer import completion_to_message, error_body
from bridge.messages_stream import MessageStream, sse
from gate_service.errors import GateError

USAGE = {
    "prompt_tokens": 30,
    "completion_tokens": 7,
    "total_tokens": 37,
    "prompt_tokens_details": {"cached_tokens": 10},
}


def _completion(message: dict[str, Any], finish: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-abc",
        "model": "served-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": USAGE,
    }


def test_text_and_tool_use_blocks() -> None:
    message = {
        "role": "assistant",
        "content": "Let me look.",
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
        ],
    }
    out = completion_to_message(_completion(message, "tool_calls"))
    assert out == {
        "id": "msg_abc",
        "type": "message",
        "role": "assistant",
        "model": "served-model",
        "content": [
            {"type": "text", "text": "Let me look."},
            {"type": "tool_use", "id": "call_1", "name": "f", "input": {"a": 1}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 20,
            "output_tokens": 7,
            "cache_read_input_tokens": 10,
            "cache_creation_input_tokens": 0,
        },
    }


@pytest.mark.parametrize(
    ("finish", "stop"), [("stop", "end_turn"), ("length", "max_tokens"), ("tool_calls", "tool_use")]
)
def test_stop_reasons(finish: str, stop: str) -> None:
    out = completion_to_message(_completion({"role": "assistant", "content": "x"}, finish))
    assert out["stop_reason"] == stop


def test_broken_tool_arguments_are_kept() -> None:
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{oops"}}
    out = completion_to_message(
        _completion({"role": "assistant", "tool_calls": [call]}, "tool_calls")
    )
    assert out["content"] == [
        {"type": "tool_use", "id": "c", "name": "f", "input": {"arguments": "{oops"}}
    ]


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("invalid_request", 400, "invalid_request_error"),
        ("invalid_api_key", 401, "authentication_error"),
        ("budget_exceeded", 402, "billing_error"),
        ("model_not_allowed", 403, "permission_error"),
        ("model_not_found", 404, "not_found_error"),
        ("request_too_large", 413, "request_too_large"),
        ("no_qualifying_model", 422, "invalid_request_error"),
        ("rate_limit_exceeded", 429, "rate_limit_error"),
        ("all_providers_failed", 502, "api_error"),
        ("overloaded", 503, "overloaded_error"),
        ("upstream_timeout", 504, "timeout_error"),
        ("internal_error", 500, "api_error"),
    ],
)
def test_errors_in_anthropic_shape(code: str, status: int, kind: str) -> None:
    error = GateError(code, "why", param="p")
    assert error.http_status == status  # the catalogue's status is kept
    assert error_body(error) == {
        "type": "error",
        "error": {"type": kind, "message": "why", "code": code, "param": "p"},
    }


def _chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"id": "chatcmpl-s", "model": "served", "choices": [choice], **more}


def test_the_event_sequence_of_text_then_tool_calls() -> None:
    stream = MessageStream()
    chunks = [
        _chunk({"role": "assistant", "content": ""}),
        _chunk({"content": "Hel"}),
        _chunk({"content": "lo"}),
        _chunk(
            {"tool_calls": [{"index": 0, "id": "c0", "function": {"name": "f", "arguments": ""}}]}
        ),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]}),
        _chunk(
            {"tool_calls": [{"index": 1, "id": "c1", "function": {"name": "g", "arguments": "{}"}}]}
        ),
        _chunk({}, "tool_calls"),
        {"id": "chatcmpl-s", "model": "served", "choices": [], "usage": USAGE},
    ]
    events = [e for c in chunks for e in stream.feed(c)] + stream.end()
    names = [name for name, _ in events]
    assert names == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = events[0][1]["message"]
    assert start["id"] == "msg_s" and start["model"] == "served" and start["content"] == []
    assert events[2][1]["content_block"] == {"type": "text", "text": ""}
    assert events[3][1]["delta"] == {"type": "text_delta", "text": "Hel"}
    assert events[6][1] == {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "tool_use", "id": "c0", "name": "f", "input": {}},
    }
    partial = [e[1]["delta"]["partial_json"] for e in events[7:9]]
    assert partial == ['{"a":', "1}"]
    assert events[10][1]["index"] == 2 and events[10][1]["content_block"]["name"] == "g"
    assert events[-2][1] == {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use", "stop_sequence": None},
        "usage": {
            "input_tokens": 20,
            "output_tokens": 7,
            "cache_read_input_tokens": 10,
            "cache_creation_input_tokens": 0,
        },
    }


def test_sse_framing() -> None:
    frame = sse("ping", {"type": "ping"})
    assert frame == b'event: ping\ndata: {"type":"ping"}\n\n'
    assert orjson.loads(frame.split(b"data: ")[1]) == {"type": "ping"}

"""The edge converters: client JSON -> proto -> domain, and domain -> proto -> client JSON,
lossless both ways; typed errors for wrongly typed input."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gate_service.domain.openai_json import (
    chunk_from_json,
    chunk_to_json,
    completion_from_json,
    completion_to_json,
    request_to_json,
)
from gate_service.errors import GateError
from gate_service.proto_convert.completion import (
    chunk_from_proto,
    chunk_to_proto,
    completion_from_proto,
    completion_to_proto,
)
from gate_service.proto_convert.request import request_from_proto
from gate_service.proto_convert.request_json import request_to_proto
from spidergate.v1 import common_pb2 as pb


def _round_trip(body: dict[str, Any]) -> dict[str, Any]:
    """Client JSON -> proto (bridge) -> domain (core) -> the request's JSON form."""
    return request_to_json(request_from_proto(request_to_proto(body)))


FULL_REQUEST: dict[str, Any] = {
    "model": "spideriq/coding",
    "messages": [
        {"role": "system", "content": "be brief"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is this?"},
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,AAA", "detail": "low"},
                },
                {"type": "input_audio", "input_audio": {"data": "xx", "format": "wav"}},
            ],
            "name": "bob",
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "content": "42", "tool_call_id": "call_1"},
    ],
    "temperature": 0.2,
    "top_p": 0.9,
    "n": 1,
    "max_tokens": 100,
    "max_completion_tokens": 100,
    "presence_penalty": 0.5,
    "frequency_penalty": -0.5,
    "stop": ["a", "b"],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "f",
                "description": "does f",
                "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}},
                "strict": True,
            },
        }
    ],
    "tool_choice": {"type": "function", "function": {"name": "f"}},
    "parallel_tool_calls": False,
    "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {}}},
    "seed": 2**40,
    "user": "u-1",
    "logprobs": True,
    "top_logprobs": 3,
    "stream": True,
    "stream_options": {"include_usage": True},
    "spidergate_options": {
        "max_cost_usd": 0.5,
        "cache_enabled": True,
        "cache_ttl_seconds": 120,
        "fallback_models": ["gpt-4o"],
        "preferred_providers": ["groq"],
        "excluded_providers": ["openai"],
        "timeout_ms": 5000,
        "retry_count": 2,
        "future_option": {"x": [1, 2]},
    },
    "logit_bias": {"50256": -100},
    "metadata": {"k": "v"},
    "reasoning_effort": "low",
}


def test_request_round_trip_is_lossless() -> None:
    assert _round_trip(FULL_REQUEST) == FULL_REQUEST


def test_single_stop_string_round_trips() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stop": "END"}
    assert _round_trip(body) == body


def test_unknown_tool_choice_shape_passes_through() -> None:
    choice = {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}}
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "tool_choice": choice}
    assert _round_trip(body)["tool_choice"] == choice


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"temperature": "hot"}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"n": 1.5}, "n"),
        ({"model": 3}, "model"),
        ({"messages": "hi"}, "messages"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"stop": [1]}, "stop[0]"),
        ({"spidergate_options": {"timeout_ms": "soon"}}, "spidergate_options.timeout_ms"),
        ({"max_tokens": 2**40}, "max_tokens"),
    ],
)
def test_wrong_types_are_400s_naming_the_param(body: dict[str, Any], param: str) -> None:
    with pytest.raises(GateError) as info:
        request_to_proto(body)
    assert info.value.code == "invalid_request"
    assert info.value.param == param


COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-abc",
    "object": "chat.completion",
    "created": 1780690000,
    "model": "llama-3.1-8b-instant",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "refusal": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "f", "arguments": '{"a":1}'},
                    }
                ],
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {
        "prompt_tokens": 24,
        "completion_tokens": 8,
        "total_tokens": 32,
        "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 2},
        "queue_time": 0.01,
    },
    "system_fingerprint": "fp_1",
    "x_groq": {"id": "req_1"},
    "spidergate_metadata": {
        "provider": "groq",
        "provider_model": "llama-3.1-8b-instant",
        "latency_ms": 12.5,
        "cost_usd": 0.0001,
        "cache_hit": False,
        "fallback_used": True,
        "original_model": "x",
        "requested_model": "spideriq/fast",
        "request_id": "r1",
    },
    "route_trace": [
        {
            "provider": "groq",
            "model": "m",
            "key": "gsk_…abc",
            "outcome": "error",
            "status": 429,
            "latency_ms": 3.0,
            "error_code": "rate_limited",
            "error_message": "slow down",
        }
    ],
}


def test_completion_round_trip_is_lossless() -> None:
    completion = completion_from_json(COMPLETION)
    assert completion_to_json(completion) == COMPLETION
    assert completion_from_proto(completion_to_proto(completion)) == COMPLETION


def test_chunk_round_trip_is_lossless() -> None:
    chunks = [
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": ""},
                    "logprobs": None,
                    "finish_reason": None,
                }
            ],
        },
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"a'}}]},
                    "logprobs": None,
                    "finish_reason": None,
                }
            ],
        },
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}],
        },
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [],
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        },
    ]
    for chunk in chunks:
        assert chunk_to_json(chunk_from_json(chunk)) == chunk
        assert chunk_from_proto(chunk_to_proto(chunk_from_json(chunk))) == chunk


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"temperature": "hot"}, "temperature"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"spidergate_options": {"timeout_ms": "soon"}}, "spidergate_options.timeout_ms"),
        ({"max_tokens": 2**40}, "max_tokens"),
    ],
)
def test_the_core_types_what_the_bridge_forwarded(body: dict[str, Any], param: str) -> None:
    """A body the bridge could not type arrives whole in ``extra_json``; the core reads
    it with the same strict code, so the 400 names the same parameter."""
    untyped = pb.ChatCompletionRequest(extra_json=orjson.dumps({"model": "m", **body}))
    with pytest.raises(GateError) as info:
        request_from_proto(untyped)
    assert (info.value.code, info.value.param) == ("invalid_request", param)


def test_a_forwarded_body_that_types_cleanly_is_served_as_sent() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "zz": 1}
    request = request_from_proto(pb.ChatCompletionRequest(extra_json=orjson.dumps(body)))
    assert request_to_json(request) == body


@pytest.mark.parametrize(
    ("raw", "message"),
    [(b"{nope", "not valid JSON"), (b"[1, 2]", "must be a JSON object")],
)
def test_a_forwarded_body_that_is_not_an_object(raw: bytes, message: str) -> None:
    with pytest.raises(GateError) as info:
        request_from_proto(pb.ChatCompletionRequest(extra_json=raw))
    assert info.value.code == "invalid_request"
    assert message in info.value.message


def test_a_modelled_field_in_extra_json_replaces_the_typed_one() -> None:
    """A gRPC client's extra_json wins over the typed field of the same name, as before."""
    proto = request_to_proto({"model": "m", "messages": [{"role": "user", "content": "a"}]})
    proto.extra_json = orjson.dumps({"messages": [{"role": "user", "content": "b"}], "n": 2})
    request = request_from_proto(proto)
    assert [m.content for m in request.messages] == ["b"]
    assert (request.model, request.n, request.extra) == ("m", 2, {})


def test_the_request_kind_names_the_surface() -> None:
    """The bridge's translations (Responses, Messages, legacy completions) mark the chat
    request with their kind for the ledger; a chat body cannot (the key is not JSON's)."""
    message = request_to_proto({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert request_from_proto(message).kind == "chat"
    for kind in ("response", "message", "completion", "chat"):
        message.request_kind = kind
        assert request_from_proto(message).kind == kind
    message.request_kind = "embedding"
    with pytest.raises(GateError) as info:
        request_from_proto(message)
    assert (info.value.code, info.value.param) == ("invalid_request", "request_kind")
    sneaky = request_to_proto({"model": "m", "messages": [], "request_kind": "message"})
    assert request_from_proto(sneaky).kind == "chat"

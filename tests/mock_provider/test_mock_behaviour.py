"""The pure "model" logic of the mock provider."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson
import pytest

from mock_provider.behaviour import (
    MAX_DIRECTIVE_WORDS,
    argument_fragments,
    content_text,
    decide,
    estimate_prompt_tokens,
    last_user_text,
    sample_arguments,
    sample_value,
    split_pieces,
)

USER: list[Any] = [{"role": "user", "content": "Tell me about the moon please"}]
TOOL_A = {
    "type": "function",
    "function": {
        "name": "alpha",
        "parameters": {
            "type": "object",
            "properties": {"q": {"type": "string"}, "n": {"type": "integer"}},
            "required": ["q"],
        },
    },
}
TOOL_B = {"type": "function", "function": {"name": "beta"}}


@pytest.mark.parametrize(
    "text", ["", "one", "one two", "  lead and trail  ", "a\n\nb\tc ", "   ", "x y z\n"]
)
def test_split_pieces_is_lossless(text: str) -> None:
    pieces = split_pieces(text)
    assert "".join(pieces) == text
    assert len(pieces) == max(len(text.split()), 1 if text else 0)


def test_text_reply_is_deterministic_short_and_echoes_the_user() -> None:
    reply = decide("m1", USER)
    assert reply == decide("m1", USER)
    assert reply.text is not None
    assert reply.text.startswith("Mock reply from m1:")
    assert "Tell me about the moon please" in reply.text
    assert reply.text != decide("m2", USER).text
    assert reply.finish_reason == "stop"
    assert reply.tool_calls == ()
    assert reply.completion_tokens == len(reply.text.split())
    assert reply.total_tokens == reply.prompt_tokens + reply.completion_tokens

    long = decide("m1", [{"role": "user", "content": "word " * 500}])
    assert long.text is not None and len(long.text.split()) <= 30


def test_text_reply_without_user_message_is_still_non_empty() -> None:
    reply = decide("m1", [{"role": "system", "content": "sys"}])
    assert reply.text and reply.completion_tokens > 0


def test_prompt_token_estimate() -> None:
    messages: list[Any] = [
        {"role": "system", "content": "a" * 10},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "b" * 7},
                {"type": "image_url", "image_url": {"url": "data:,"}},
            ],
        },
    ]
    assert estimate_prompt_tokens(messages) == math.ceil(17 / 4) + 2 * 4 + 85
    tools = [TOOL_A]
    assert estimate_prompt_tokens(messages, tools) == estimate_prompt_tokens(messages) + math.ceil(
        len(orjson.dumps(tools)) / 4
    )
    assert decide("m", messages).prompt_tokens == estimate_prompt_tokens(messages)


def test_content_text_and_last_user_text() -> None:
    assert content_text("hi") == "hi"
    assert content_text([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]) == "a b"
    assert content_text(None) == ""
    messages: list[Any] = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "reply"},
        {"role": "user", "content": [{"type": "text", "text": "second"}]},
    ]
    assert last_user_text(messages) == "second"
    assert last_user_text([]) == ""


def test_tool_call_goes_to_the_first_tool_with_sampled_arguments() -> None:
    reply = decide("m", USER, tools=[TOOL_A, TOOL_B])
    assert reply.text is None
    assert reply.finish_reason == "tool_calls"
    (call,) = reply.tool_calls
    assert call.name == "alpha"
    assert call.arguments == '{"q":"sample"}'  # compact, required keys only
    assert re.fullmatch(r"call_[0-9a-f]{24}", call.id)
    assert call == decide("m", USER, tools=[TOOL_A, TOOL_B]).tool_calls[0]
    assert call.id != decide("m", USER + USER, tools=[TOOL_A]).tool_calls[0].id
    assert "".join(call.fragments()) == call.arguments
    assert reply.completion_tokens == len(call.fragments()) + 1


def test_tool_choice_variants() -> None:
    named = {"type": "function", "function": {"name": "beta"}}
    (call,) = decide("m", USER, tools=[TOOL_A, TOOL_B], tool_choice=named).tool_calls
    assert call.name == "beta"
    assert call.arguments == "{}"  # no parameters at all
    assert decide("m", USER, tools=[TOOL_A], tool_choice="required").tool_calls
    assert decide("m", USER, tools=[TOOL_A], tool_choice="none").tool_calls == ()


def test_a_trailing_tool_result_gets_a_text_answer() -> None:
    messages = [
        *USER,
        {"role": "assistant", "content": None, "tool_calls": []},
        {"role": "tool", "tool_call_id": "call_x", "content": "42"},
    ]
    reply = decide("m", messages, tools=[TOOL_A])
    assert reply.tool_calls == ()
    assert reply.text and reply.finish_reason == "stop"


def test_max_tokens_truncates() -> None:
    full = decide("m", USER)
    assert full.text is not None
    cut = decide("m", USER, max_tokens=2)
    assert cut.text == "".join(split_pieces(full.text)[:2]) == "Mock reply"
    assert (cut.finish_reason, cut.completion_tokens) == ("length", 2)
    same = decide("m", USER, max_tokens=full.completion_tokens)
    assert (same.text, same.finish_reason) == (full.text, "stop")


def test_stop_cuts_at_the_earliest_stop_string() -> None:
    full = decide("m", USER).text or ""
    reply = decide("m", USER, stop=["moon", "from"])
    assert reply.text == full[: full.index("from")]
    assert (reply.finish_reason, reply.stop_sequence) == ("stop", "from")
    assert decide("m", USER, stop="absent").text == full
    # The stop string lies beyond max_tokens: the length limit wins.
    late = decide("m", USER, stop="moon", max_tokens=2)
    assert (late.finish_reason, late.stop_sequence) == ("length", None)


def test_words_directive_makes_long_replies() -> None:
    reply = decide("m", [{"role": "user", "content": "go [mock:words=50]"}])
    assert reply.completion_tokens == 50
    assert len(reply.pieces()) == 50
    assert (reply.text or "").startswith("Mock reply from m:")
    huge = decide("m", [{"role": "user", "content": "[mock:words=999999]"}])
    assert huge.completion_tokens == MAX_DIRECTIVE_WORDS


def test_response_formats() -> None:
    as_object = decide("m", USER, response_format={"type": "json_object"})
    assert json.loads(as_object.text or "") == {"reply": decide("m", USER).text}
    schema = {
        "type": "object",
        "properties": {"tags": {"type": "array"}, "ok": {"type": "boolean"}},
    }
    as_schema = decide(
        "m", USER, response_format={"type": "json_schema", "json_schema": {"schema": schema}}
    )
    assert json.loads(as_schema.text or "") == {"tags": [], "ok": True}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, "sample"),
        ({"type": "integer"}, 1),
        ({"type": "number"}, 1.5),
        ({"type": "boolean"}, True),
        ({"type": "array", "items": {"type": "string"}}, []),
        ({"type": "object"}, {}),
        ({"enum": ["b", "a"]}, "b"),
        ({"type": "string", "enum": ["x"]}, "x"),
        ({"const": 7}, 7),
        ({"type": ["null", "integer"]}, 1),
        ({"anyOf": [{"type": "null"}, {"type": "number"}]}, 1.5),
        ({}, "sample"),
        (
            {
                "type": "object",
                "properties": {
                    "a": {"type": "string"},
                    "b": {"type": "object", "properties": {"c": {"type": "integer"}}},
                },
                "required": ["b"],
            },
            {"b": {"c": 1}},
        ),
        ({"properties": {"x": {"type": "boolean"}}}, {"x": True}),
    ],
)
def test_sample_value(schema: dict[str, Any], expected: Any) -> None:
    assert sample_value(schema) == expected


def test_sample_arguments_is_always_an_object() -> None:
    assert sample_arguments(None) == {}
    assert sample_arguments({"type": "string"}) == {}
    assert sample_arguments({"type": "object", "required": ["k"]}) == {"k": "sample"}


def test_argument_fragments() -> None:
    assert argument_fragments("") == [""]
    assert argument_fragments("{}") == ["{}"]
    text = '{"city":"sample","unit":"celsius"}'
    fragments = argument_fragments(text)
    assert len(fragments) > 1 and "".join(fragments) == text

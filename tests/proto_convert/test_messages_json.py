"""The Messages API request → chat JSON translation (proto_convert/messages_json.py), and
the core reading a Messages body the bridge forwarded untyped."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gate_service.errors import GateError
from gate_service.proto_convert.messages_json import messages_to_chat
from gate_service.proto_convert.request import request_from_proto
from gate_service.proto_convert.request_json import request_to_proto
from spidergate.v1 import common_pb2 as pb

TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"id": 42}}


def _chat(**body: Any) -> dict[str, Any]:
    return messages_to_chat({"model": "m", "max_tokens": 10, **body})


def test_system_string_and_blocks_become_a_system_message() -> None:
    assert _chat(system="Be brief.", messages=[])["messages"] == [
        {"role": "system", "content": "Be brief."}
    ]
    blocks = [{"type": "text", "text": "One."}, {"type": "text", "text": "Two."}]
    assert _chat(system=blocks, messages=[])["messages"][0]["content"] == "One.\n\nTwo."


def test_images_base64_and_url() -> None:
    content = [
        {"type": "text", "text": "what?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAA"}},
        {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
    ]
    [user] = _chat(messages=[{"role": "user", "content": content}])["messages"]
    assert user["content"] == [
        {"type": "text", "text": "what?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAA"}},
        {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
    ]


def test_a_tool_use_round_trip_and_thinking_dropped() -> None:
    messages = [
        {"role": "user", "content": "where is 42?"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "s"},
                {"type": "text", "text": "Looking."},
                TOOL_USE,
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": [{"type": "text", "text": "not found"}],
                    "is_error": True,
                },
                {"type": "text", "text": "and now?"},
            ],
        },
    ]
    chat = _chat(messages=messages)["messages"]
    assert chat == [
        {"role": "user", "content": "where is 42?"},
        {
            "role": "assistant",
            "content": "Looking.",
            "tool_calls": [
                {
                    "id": "toolu_1",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": '{"id":42}'},
                }
            ],
        },
        # The tool's answer first (chat wants it right after the call), then the rest.
        {"role": "tool", "tool_call_id": "toolu_1", "content": "Error: not found"},
        {"role": "user", "content": "and now?"},
    ]


def test_tools_tool_choice_and_sampling() -> None:
    chat = _chat(
        tools=[{"name": "f", "description": "d", "input_schema": {"type": "object"}}],
        tool_choice={"type": "any", "disable_parallel_tool_use": True},
        stop_sequences=["END"],
        temperature=0.5,
        top_p=0.9,
        top_k=5,
        metadata={"user_id": "u-1"},
        stream=True,
        messages=[],
    )
    assert chat["tools"] == [
        {
            "type": "function",
            "function": {"name": "f", "description": "d", "parameters": {"type": "object"}},
        }
    ]
    assert chat["tool_choice"] == "required" and chat["parallel_tool_calls"] is False
    assert chat["stop"] == ["END"] and chat["user"] == "u-1"
    assert (chat["temperature"], chat["top_p"], chat["top_k"]) == (0.5, 0.9, 5)
    assert chat["stream"] is True and chat["stream_options"] == {"include_usage": True}
    named = _chat(tool_choice={"type": "tool", "name": "f"}, messages=[])["tool_choice"]
    assert named == {"type": "function", "function": {"name": "f"}}
    assert _chat(tool_choice={"type": "none"}, messages=[])["tool_choice"] == "none"
    # The chat reader takes every translated key (top_k rides as an extra).
    proto = request_to_proto(chat)
    assert proto.tool_choice.mode == "required" and orjson.loads(proto.extra_json) == {"top_k": 5}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": "hi"}, "messages"),
        ({"messages": [{"role": "system", "content": "x"}]}, "messages[0].role"),
        (
            {"messages": [{"role": "user", "content": [{"type": "video"}]}]},
            "messages[0].content[0].type",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": [{"type": "image", "source": {"type": "file"}}]}
                ]
            },
            "messages[0].content[0].source.type",
        ),
        (
            {"messages": [], "tools": [{"type": "web_search_20250305", "name": "w"}]},
            "tools[0].type",
        ),
        ({"messages": [], "tool_choice": {"type": "maybe"}}, "tool_choice.type"),
        ({"messages": [], "metadata": {"user_id": 5}}, "metadata.user_id"),
        ({"messages": [], "top_k": -1}, "top_k"),
        ({"messages": [], "top_k": "5"}, "top_k"),
        ({"messages": [], "top_k": True}, "top_k"),
    ],
)
def test_bad_values_are_a_400_naming_the_parameter(body: dict[str, Any], param: str) -> None:
    with pytest.raises(GateError) as err:
        _chat(**body)
    assert err.value.code == "invalid_request" and err.value.param == param


def test_max_tokens_is_required_except_to_count() -> None:
    with pytest.raises(GateError) as err:
        messages_to_chat({"model": "m", "messages": []})
    assert err.value.param == "max_tokens"
    assert "max_tokens" not in messages_to_chat({"model": "m", "messages": []}, counting=True)


def test_the_core_translates_a_forwarded_body_again() -> None:
    """What the bridge forwards untyped is read by the core with the same translation."""
    bad = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": 7}]}
    forwarded = pb.ChatCompletionRequest(extra_json=orjson.dumps(bad), request_kind="message")
    with pytest.raises(GateError) as err:
        request_from_proto(forwarded)
    assert err.value.param == "messages[0].content"
    good = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    forwarded.extra_json = orjson.dumps(good)
    request = request_from_proto(forwarded)
    assert request.kind == "message" and request.max_tokens == 5 and request.model == "m"
    # A translated request's own extras are never translated again.
    typed = request_to_proto(messages_to_chat({**good, "top_k": 3}))
    typed.request_kind = "message"
    assert request_from_proto(typed).extra == {"top_k": 3}

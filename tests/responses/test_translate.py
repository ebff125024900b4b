"""A Responses request -> the chat request: each input item, tool, format and parameter."""

from __future__ import annotations

from typing import Any

import pytest

from gate_service.errors import GateError
from gate_service.responses.translate import input_items, translate


def _param(body: dict[str, Any]) -> str | None:
    with pytest.raises(GateError) as caught:
        translate(body)
    assert caught.value.code == "invalid_request"
    return caught.value.param


def test_a_string_input_is_one_user_message_after_the_instructions() -> None:
    req = translate({"model": "m", "input": "Hi", "instructions": "Be brief."})
    assert [(m.role, m.content) for m in req.chat.messages] == [
        ("system", "Be brief."),
        ("user", "Hi"),
    ]
    assert req.chat.kind == "response" and req.store is True and req.stream is False
    (item,) = req.input_items
    assert item["type"] == "message" and item["id"].startswith("msg_")
    assert item["content"] == [{"type": "input_text", "text": "Hi"}]


def test_items_become_messages_tool_calls_and_results() -> None:
    req = translate(
        {
            "model": "m",
            "input": [
                {"role": "developer", "content": [{"type": "input_text", "text": "Rules"}]},
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "Look"},
                        {"type": "input_image", "image_url": "https://x/y.png", "detail": "low"},
                    ],
                },
                {"type": "reasoning", "id": "rs_1", "summary": []},
                {"role": "assistant", "content": [{"type": "output_text", "text": "Checking"}]},
                {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
                {"type": "function_call", "call_id": "c2", "name": "g", "arguments": '{"a":1}'},
                {"type": "function_call_output", "call_id": "c1", "output": "one"},
                {
                    "type": "function_call_output",
                    "call_id": "c2",
                    "output": [{"type": "input_text", "text": "two"}],
                },
            ],
        }
    )
    roles = [m.role for m in req.chat.messages]
    assert roles == ["developer", "user", "assistant", "tool", "tool"]
    user = req.chat.messages[1]
    assert isinstance(user.content, list)
    assert [p.type for p in user.content] == ["text", "image_url"]
    assert user.content[1].image_url and user.content[1].image_url.detail == "low"
    assistant = req.chat.messages[2]
    assert assistant.content == "Checking"  # reasoning left out, the text kept
    assert [(c.id, c.function.name if c.function else None) for c in assistant.tool_calls] == [
        ("c1", "f"),
        ("c2", "g"),
    ]
    assert [(m.tool_call_id, m.content) for m in req.chat.messages[3:]] == [
        ("c1", "one"),
        ("c2", "two"),
    ]


def test_context_comes_before_the_input() -> None:
    answer = {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "A"}],
    }
    context = [*input_items("First"), answer]
    req = translate({"model": "m", "input": "Second", "instructions": "I"}, context)
    assert [(m.role, m.content) for m in req.chat.messages] == [
        ("system", "I"),
        ("user", "First"),
        ("assistant", "A"),
        ("user", "Second"),
    ]


def test_parameters_map_to_chat() -> None:
    req = translate(
        {
            "model": "m",
            "input": "Hi",
            "tools": [
                {"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": True}
            ],
            "tool_choice": {"type": "function", "name": "f"},
            "parallel_tool_calls": False,
            "text": {
                "format": {
                    "type": "json_schema",
                    "name": "out",
                    "schema": {"type": "object"},
                    "strict": True,
                }
            },
            "max_output_tokens": 50,
            "temperature": 0.5,
            "top_p": 1,
            "user": "u1",
            "reasoning": {"effort": "low"},
            "metadata": {"k": "v"},
            "store": False,
            "stream": True,
            "include": ["reasoning.encrypted_content"],
            "seed": 7,
        }
    )
    chat = req.chat
    assert chat.tools[0].function and chat.tools[0].function.name == "f"
    assert chat.tools[0].function.strict is True
    assert chat.tool_choice and chat.tool_choice.function_name == "f"
    assert chat.parallel_tool_calls is False
    assert chat.response_format and chat.response_format.type == "json_schema"
    assert chat.response_format.json_schema == {
        "name": "out",
        "schema": {"type": "object"},
        "strict": True,
    }
    assert (chat.max_completion_tokens, chat.temperature, chat.top_p, chat.user) == (
        50,
        0.5,
        1.0,
        "u1",
    )
    assert chat.extra == {"reasoning_effort": "low", "seed": 7}  # include: accepted, not sent
    assert chat.stream is True and chat.wants_usage
    assert req.store is False and req.echo["metadata"] == {"k": "v"}
    assert translate(
        {"model": "m", "input": "x", "text": {"format": {"type": "json_object"}}}
    ).chat.response_format


@pytest.mark.parametrize(
    "tool",
    [
        "web_search",
        "web_search_preview",
        "file_search",
        "code_interpreter",
        "computer_use_preview",
        "mcp",
        "image_generation",
    ],
)
def test_hosted_tools_are_refused_by_name(tool: str) -> None:
    body = {
        "model": "m",
        "input": "x",
        "tools": [{"type": "function", "name": "f"}, {"type": tool}],
    }
    with pytest.raises(GateError) as caught:
        translate(body)
    assert caught.value.param == "tools[1].type" and tool in caught.value.message


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "x"}, "model"),
        ({"model": "m"}, "input"),
        ({"model": "m", "input": []}, "input"),
        ({"model": "m", "input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
        ({"model": "m", "input": [{"type": "web_search_call"}]}, "input[0].type"),
        (
            {
                "model": "m",
                "input": [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}],
            },
            "input[0].content[0].image_url",
        ),
        ({"model": "m", "input": [{"type": "function_call", "name": "f"}]}, "input[0].call_id"),
        ({"model": "m", "input": "x", "tool_choice": "sometimes"}, "tool_choice"),
        ({"model": "m", "input": "x", "text": {"format": {"type": "yaml"}}}, "text.format.type"),
        (
            {"model": "m", "input": "x", "text": {"format": {"type": "json_schema"}}},
            "text.format.schema",
        ),
        ({"model": "m", "input": "x", "max_output_tokens": "many"}, "max_output_tokens"),
        ({"model": "m", "input": "x", "temperature": True}, "temperature"),
        ({"model": "m", "input": "x", "previous_response_id": 5}, "previous_response_id"),
        ({"model": "m", "input": "x", "metadata": []}, "metadata"),
        # Ignoring these would change the answer without a word.
        ({"model": "m", "input": "x", "background": True}, "background"),
        (
            {"model": "m", "input": "x", "include": ["message.output_text.logprobs"]},
            "include",
        ),
        ({"model": "m", "input": "x", "include": "everything"}, "include"),
    ],
)
def test_faults_name_the_param(body: dict[str, Any], param: str) -> None:
    assert _param(body) == param


def test_includes_and_modes_that_change_nothing_are_accepted() -> None:
    body = {
        "model": "m",
        "input": "x",
        "background": False,
        "include": ["reasoning.encrypted_content", "message.input_image.image_url"],
        "truncation": "disabled",
    }
    assert translate(body).chat.messages[0].content == "x"

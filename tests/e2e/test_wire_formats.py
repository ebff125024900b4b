"""The same OpenAI request through all three wire formats (OpenAI-compatible, Anthropic
Messages, Gemini) end to end: the official openai SDK sees the same shapes, tool calls
included, streaming and not."""

from __future__ import annotations

import json
from typing import cast

import pytest
from openai import OpenAI
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
    ChatCompletionToolParam,
)

from tests.stack import Stack

MODELS = {
    "openai": "groq/llama-3.3-70b-versatile",
    "anthropic": "anthropic/claude-3-5-haiku-latest",
    "gemini": "google_ai/gemini-2.0-flash",
}
TOOLS: list[ChatCompletionToolParam] = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Find an order",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}, "verbose": {"type": "boolean"}},
                "required": ["order_id", "verbose"],
            },
        },
    }
]
QUESTION: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Where is order 42?"}]


@pytest.fixture(scope="module")
def client(stack: Stack, token: str) -> OpenAI:
    stack.core.router.health.clear()
    return OpenAI(base_url=stack.base_url, api_key=token, max_retries=0)


@pytest.mark.parametrize("fmt", sorted(MODELS))
def test_text_round_trip(client: OpenAI, stack: Stack, fmt: str) -> None:
    resp = client.chat.completions.create(
        model=MODELS[fmt],
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello there"},
        ],
    )
    assert resp.model == MODELS[fmt].split("/", 1)[1]
    assert resp.choices[0].message.content and resp.choices[0].finish_reason == "stop"
    assert resp.usage and resp.usage.prompt_tokens > 0 and resp.usage.completion_tokens > 0
    record = stack.mock.state.records[-1]
    assert record.endpoint.startswith(fmt)
    streamed = client.chat.completions.create(
        model=MODELS[fmt],
        stream=True,
        stream_options={"include_usage": True},
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello there"},
        ],
    )
    chunks = list(streamed)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == resp.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == resp.usage.completion_tokens


@pytest.mark.parametrize("fmt", sorted(MODELS))
def test_tool_calls_round_trip(client: OpenAI, fmt: str) -> None:
    resp = client.chat.completions.create(model=MODELS[fmt], messages=QUESTION, tools=TOOLS)
    message = resp.choices[0].message
    assert resp.choices[0].finish_reason == "tool_calls"
    assert message.tool_calls
    first_call = message.tool_calls[0]
    assert isinstance(first_call, ChatCompletionMessageFunctionToolCall)
    assert first_call.function.name == "lookup_order"
    args = json.loads(first_call.function.arguments)
    assert set(args) == {"order_id", "verbose"}

    stream = client.chat.completions.create(
        model=MODELS[fmt], messages=QUESTION, tools=TOOLS, stream=True
    )
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in stream:
        if not chunk.choices:
            continue
        for tc in chunk.choices[0].delta.tool_calls or []:
            slot = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
            slot["id"] += tc.id or ""
            if tc.function:
                slot["name"] += tc.function.name or ""
                slot["arguments"] += tc.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    assert calls[0]["name"] == "lookup_order" and calls[0]["id"]
    assert json.loads(calls[0]["arguments"]) == args

    # The tool's result goes back through the same format and the model answers in text.
    follow = client.chat.completions.create(
        model=MODELS[fmt],
        tools=TOOLS,
        messages=[
            *QUESTION,
            # The reply's message sent back as is: its dump is an assistant-message param.
            cast(ChatCompletionAssistantMessageParam, message.model_dump(exclude_none=True)),
            {
                "role": "tool",
                "tool_call_id": message.tool_calls[0].id,
                "content": '{"status": "shipped"}',
            },
        ],
    )
    assert follow.choices[0].finish_reason == "stop" and follow.choices[0].message.content


def test_anthropic_cached_tokens_reach_the_client(client: OpenAI) -> None:
    long_system = "You are a meticulous assistant. " * 10
    resp = client.chat.completions.create(
        model=MODELS["anthropic"],
        messages=[{"role": "system", "content": long_system}, {"role": "user", "content": "hi"}],
    )
    assert resp.usage is not None
    details = resp.usage.prompt_tokens_details
    assert details is not None and details.cached_tokens and details.cached_tokens > 0


def test_gemini_reasoning_tokens_reach_the_client(client: OpenAI) -> None:
    resp = client.chat.completions.create(model="google_ai/gemini-2.5-flash", messages=QUESTION)
    assert resp.usage is not None
    details = resp.usage.completion_tokens_details
    assert details is not None and details.reasoning_tokens and details.reasoning_tokens > 0

"""The mock's Anthropic Messages format, driven by the official ``anthropic`` SDK.

The SDK's typed models and its stream accumulator (``messages.stream``) are
strict about event order and block shapes, so if they rebuild the same
message the mock streams like api.anthropic.com; raw-HTTP tests pin the SSE
framing, auth and error bodies.
"""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
import anthropic
import openai
import pytest
from anthropic.types import Message, TextBlock, ToolUseBlock

from mock_provider import MockServer, MockState
from mock_provider.behaviour import estimate_prompt_tokens

MODEL = "claude-sonnet-4-6"
QUESTION = "What is the weather in Paris today?"
MESSAGES: list[Any] = [{"role": "user", "content": QUESTION}]
LONG_SYSTEM = "You are a meticulous assistant. " * 5  # > 100 chars: the cache trigger
WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city", "unit"],
    },
}
CLOCK = {
    "name": "get_time",
    "input_schema": {"type": "object", "properties": {"timezone": {"type": "string"}}},
}
TOOLS: list[Any] = [WEATHER, CLOCK]
VERSION = {"anthropic-version": "2023-06-01"}


def text_of(message: Message) -> str:
    (block,) = message.content
    assert isinstance(block, TextBlock)
    return block.text


def tool_use_of(message: Message) -> ToolUseBlock:
    (block,) = message.content
    assert isinstance(block, ToolUseBlock)
    return block


async def raw_post(
    server: MockServer, body: Any, headers: dict[str, str] | None = None, path: str = "/v1/messages"
) -> tuple[int, dict[str, str], bytes]:
    """POST without the SDK, to see exactly what goes over the wire."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.url}{path}", data=json.dumps(body).encode(), headers=headers or {}
        ) as response,
    ):
        return response.status, dict(response.headers), await response.read()


def sse_events(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(event name, data) pairs of an Anthropic stream."""
    events = []
    for block in raw.decode().split("\n\n"):
        if block:
            name_line, data_line = block.split("\n")
            events.append((name_line.removeprefix("event: "), json.loads(data_line[6:])))
    return events


# ------------------------------------------------------------------ text


async def test_text_message(claude: anthropic.AsyncAnthropic, state: MockState) -> None:
    message = await claude.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)

    assert re.fullmatch(r"msg_01[0-9a-f]+", message.id)
    assert (message.type, message.role, message.model) == ("message", "assistant", MODEL)
    assert message.stop_reason == "end_turn"
    assert message.stop_sequence is None
    text = text_of(message)
    assert text.startswith(f"Mock reply from {MODEL}:") and QUESTION in text
    assert message.usage.input_tokens == estimate_prompt_tokens(MESSAGES)
    assert message.usage.output_tokens == len(text.split())
    assert message.usage.cache_read_input_tokens == 0
    assert message.usage.cache_creation_input_tokens == 0

    record = state.requests()[-1]
    assert (record.endpoint, record.prefix, record.model, record.key) == (
        "anthropic.messages",
        "/v1",
        MODEL,
        "k",
    )


async def test_same_prompt_same_text_as_the_openai_format(
    claude: anthropic.AsyncAnthropic, client: openai.AsyncOpenAI
) -> None:
    message = await claude.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    completion = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert text_of(message) == completion.choices[0].message.content


async def test_system_prompt_as_string_or_blocks(claude: anthropic.AsyncAnthropic) -> None:
    plain = await claude.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    as_string = await claude.messages.create(
        model=MODEL, max_tokens=256, system="Be brief.", messages=MESSAGES
    )
    as_blocks = await claude.messages.create(
        model=MODEL,
        max_tokens=256,
        system=[{"type": "text", "text": "Be brief."}],
        messages=MESSAGES,
    )
    assert text_of(as_string) == text_of(as_blocks) == text_of(plain)
    system_message: list[Any] = [{"role": "system", "content": "Be brief."}, *MESSAGES]
    assert as_string.usage.input_tokens == estimate_prompt_tokens(system_message)
    assert as_blocks.usage == as_string.usage
    assert as_string.usage.input_tokens > plain.usage.input_tokens


async def test_image_blocks_count_as_input(claude: anthropic.AsyncAnthropic) -> None:
    plain = await claude.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    with_image = await claude.messages.create(
        model=MODEL,
        max_tokens=256,
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"},
                    },
                    {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}},
                    {"type": "text", "text": QUESTION},
                ],
            }
        ],
    )
    assert text_of(with_image) == text_of(plain)
    assert with_image.usage.input_tokens == plain.usage.input_tokens + 2 * 85


async def test_streaming_rebuilds_the_non_streaming_message(
    claude: anthropic.AsyncAnthropic,
) -> None:
    reference = await claude.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    async with claude.messages.stream(model=MODEL, max_tokens=256, messages=MESSAGES) as stream:
        pieces = [text async for text in stream.text_stream]
        final = await stream.get_final_message()

    assert len(pieces) > 3  # one word per delta, not one blob
    assert "".join(pieces) == text_of(reference)
    assert [b.model_dump(exclude={"parsed_output"}) for b in final.content] == [
        b.model_dump() for b in reference.content
    ]
    assert final.stop_reason == "end_turn"
    assert final.usage.input_tokens == reference.usage.input_tokens
    assert final.usage.output_tokens == reference.usage.output_tokens


async def test_raw_sse_events_follow_anthropics_order(
    mock_server: MockServer, state: MockState
) -> None:
    body = {"model": MODEL, "max_tokens": 256, "messages": MESSAGES, "stream": True}
    status, headers, raw = await raw_post(mock_server, body, {"x-api-key": "k", **VERSION})

    assert status == 200
    assert headers["Content-Type"].startswith("text/event-stream")
    events = sse_events(raw)
    names = [name for name, _ in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert set(names[3:-3]) == {"content_block_delta"}
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert all(data["type"] == name for name, data in events)
    start = events[0][1]["message"]
    assert start["content"] == [] and start["stop_reason"] is None
    assert start["usage"]["input_tokens"] == estimate_prompt_tokens(MESSAGES)
    assert events[1][1]["content_block"] == {"type": "text", "text": ""}
    assert events[3][1]["delta"]["type"] == "text_delta"
    delta = events[-2][1]
    assert delta["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert delta["usage"]["output_tokens"] == len(names) - 6
    assert state.requests()[-1].x_api_key == "k"


# ------------------------------------------------------------------ tools


async def test_tool_use(claude: anthropic.AsyncAnthropic) -> None:
    message = await claude.messages.create(
        model=MODEL, max_tokens=256, messages=MESSAGES, tools=TOOLS
    )
    assert message.stop_reason == "tool_use"
    block = tool_use_of(message)
    assert re.fullmatch(r"toolu_[0-9a-f]{24}", block.id)
    assert block.name == "get_weather"  # the first tool
    assert block.input == {"city": "sample", "unit": "celsius"}

    named = await claude.messages.create(
        model=MODEL,
        max_tokens=256,
        messages=MESSAGES,
        tools=TOOLS,
        tool_choice={"type": "tool", "name": "get_time"},
    )
    assert tool_use_of(named).name == "get_time"
    assert tool_use_of(named).input == {"timezone": "sample"}

    declined = await claude.messages.create(
        model=MODEL, max_tokens=256, messages=MESSAGES, tools=TOOLS, tool_choice={"type": "none"}
    )
    assert declined.stop_reason == "end_turn" and text_of(declined)


async def test_tool_result_turn_is_answered_in_text(claude: anthropic.AsyncAnthropic) -> None:
    first = await claude.messages.create(
        model=MODEL, max_tokens=256, messages=MESSAGES, tools=TOOLS
    )
    block = tool_use_of(first)
    follow_up: list[Any] = [
        *MESSAGES,
        {"role": "assistant", "content": [block.model_dump(exclude_none=True)]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": block.id, "content": '{"temp": 21}'}
            ],
        },
    ]
    answer = await claude.messages.create(
        model=MODEL, max_tokens=256, messages=follow_up, tools=TOOLS
    )
    assert answer.stop_reason == "end_turn"
    assert text_of(answer)


async def test_streamed_tool_use_reassembles(
    claude: anthropic.AsyncAnthropic, mock_server: MockServer
) -> None:
    reference = tool_use_of(
        await claude.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES, tools=TOOLS)
    )
    async with claude.messages.stream(
        model=MODEL, max_tokens=256, messages=MESSAGES, tools=TOOLS
    ) as stream:
        final = await stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert tool_use_of(final) == reference

    body = {"model": MODEL, "max_tokens": 256, "messages": MESSAGES, "tools": TOOLS, "stream": True}
    _, _, raw = await raw_post(mock_server, body, {"x-api-key": "k", **VERSION})
    events = sse_events(raw)
    assert events[1][1]["content_block"] == {
        "type": "tool_use",
        "id": reference.id,
        "name": "get_weather",
        "input": {},
    }
    fragments = [
        data["delta"]["partial_json"]
        for name, data in events
        if name == "content_block_delta" and data["delta"]["type"] == "input_json_delta"
    ]
    assert fragments[0] == "" and len(fragments) > 2
    assert json.loads("".join(fragments)) == reference.input


# ------------------------------------------------------------------ limits & usage


async def test_stop_sequence(claude: anthropic.AsyncAnthropic) -> None:
    full = text_of(await claude.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES))
    message = await claude.messages.create(
        model=MODEL, max_tokens=256, messages=MESSAGES, stop_sequences=["Paris", "weather"]
    )
    assert message.stop_reason == "stop_sequence"
    assert message.stop_sequence == "weather"
    assert text_of(message) == full[: full.index("weather")]

    async with claude.messages.stream(
        model=MODEL, max_tokens=256, messages=MESSAGES, stop_sequences=["weather"]
    ) as stream:
        final = await stream.get_final_message()
    assert (final.stop_reason, final.stop_sequence) == ("stop_sequence", "weather")


async def test_max_tokens_stop_reason(claude: anthropic.AsyncAnthropic) -> None:
    full = text_of(await claude.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES))
    message = await claude.messages.create(model=MODEL, max_tokens=3, messages=MESSAGES)
    assert message.stop_reason == "max_tokens"
    assert text_of(message) == " ".join(full.split()[:3])
    assert message.usage.output_tokens == 3


async def test_long_system_prompt_reports_cache_reads(claude: anthropic.AsyncAnthropic) -> None:
    message = await claude.messages.create(
        model=MODEL, max_tokens=256, system=LONG_SYSTEM, messages=MESSAGES
    )
    prompt = estimate_prompt_tokens([{"role": "system", "content": LONG_SYSTEM}, *MESSAGES])
    usage = message.usage
    assert usage.cache_read_input_tokens == prompt // 2 > 0
    assert usage.input_tokens + usage.cache_read_input_tokens == prompt
    assert usage.cache_creation_input_tokens == 0

    async with claude.messages.stream(
        model=MODEL, max_tokens=256, system=LONG_SYSTEM, messages=MESSAGES
    ) as stream:
        final = await stream.get_final_message()
    assert final.usage.cache_read_input_tokens == usage.cache_read_input_tokens
    assert final.usage.input_tokens == usage.input_tokens


# ------------------------------------------------------------------ errors & auth


async def test_scripted_429_raises_rate_limit_error(
    claude: anthropic.AsyncAnthropic, state: MockState
) -> None:
    state.add_fault(
        {
            "status": 429,
            "times": 1,
            "headers": {"Retry-After": "7"},
            "match": {"format": "anthropic", "key": "k"},
        }
    )
    with pytest.raises(anthropic.RateLimitError) as caught:
        await claude.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "7"
    assert caught.value.response.headers["anthropic-ratelimit-requests-remaining"] == "0"
    body = caught.value.body
    assert isinstance(body, dict)
    assert body["type"] == "error"
    assert body["error"]["type"] == "rate_limit_error"
    assert body["request_id"].startswith("req_")

    ok = await claude.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)
    assert text_of(ok)


@pytest.mark.parametrize(
    ("status", "error_class", "error_type"),
    [
        (401, anthropic.AuthenticationError, "authentication_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.InternalServerError, "overloaded_error"),
    ],
)
async def test_scripted_errors_use_anthropic_shapes(
    claude: anthropic.AsyncAnthropic,
    state: MockState,
    status: int,
    error_class: type[anthropic.APIStatusError],
    error_type: str,
) -> None:
    state.add_fault({"status": status, "times": 1})
    with pytest.raises(error_class) as caught:
        async with claude.messages.stream(model=MODEL, max_tokens=256, messages=MESSAGES) as s:
            await s.get_final_message()
    assert caught.value.status_code == status
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["error"]["type"] == error_type


async def test_missing_key_is_401(mock_server: MockServer, state: MockState) -> None:
    no_key = anthropic.AsyncAnthropic(base_url=mock_server.url, api_key="unused", max_retries=0)
    async with no_key:
        with pytest.raises(anthropic.AuthenticationError) as caught:
            await no_key.messages.create(
                model=MODEL,
                max_tokens=256,
                messages=MESSAGES,
                extra_headers={"Authorization": anthropic.Omit()},
            )
    assert caught.value.status_code == 401

    status, _, raw = await raw_post(mock_server, {"model": MODEL}, VERSION)
    assert status == 401
    assert json.loads(raw)["error"] == {
        "type": "authentication_error",
        "message": "x-api-key header is required",
    }
    assert state.requests()[-1].key is None


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        ({"model": MODEL, "messages": MESSAGES}, VERSION, "max_tokens: Field required"),
        ({"max_tokens": 5, "messages": MESSAGES}, VERSION, "model: Field required"),
        (
            {"model": MODEL, "max_tokens": 5, "messages": [{"role": "robot", "content": "x"}]},
            VERSION,
            "messages.0.role",
        ),
        ({"model": MODEL, "max_tokens": 5, "messages": MESSAGES}, {}, "anthropic-version"),
        (
            {"model": MODEL, "max_tokens": 5, "messages": MESSAGES, "tool_choice": {"type": "any"}},
            VERSION,
            "tool_choice",
        ),
    ],
)
async def test_invalid_requests_are_anthropic_400s(
    mock_server: MockServer, state: MockState, body: Any, headers: dict[str, str], message: str
) -> None:
    status, _, raw = await raw_post(mock_server, body, {"x-api-key": "k", **headers})
    assert status == 400
    error = json.loads(raw)
    assert error["type"] == "error"
    assert error["error"]["type"] == "invalid_request_error"
    assert message in error["error"]["message"]


async def test_any_prefix_reaches_the_messages_endpoint(
    mock_server: MockServer, state: MockState
) -> None:
    body = {"model": MODEL, "max_tokens": 5, "messages": MESSAGES}
    status, headers, raw = await raw_post(
        mock_server, body, {"x-api-key": "sk-ant-1", **VERSION}, path="/anthropic/messages"
    )
    assert status == 200
    assert json.loads(raw)["type"] == "message"
    assert headers["request-id"].startswith("req_")
    assert int(headers["anthropic-ratelimit-requests-remaining"]) > 0
    record = state.requests()[-1]
    assert (record.prefix, record.key) == ("/anthropic", "sk-ant-1")

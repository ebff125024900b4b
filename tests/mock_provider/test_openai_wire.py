"""The mock's OpenAI wire format, driven by the official ``openai`` SDK.

If the SDK parses the mock's answers into the right typed objects, the gateway
can trust the mock to behave like api.openai.com; raw-HTTP tests pin the
details the SDK smooths over (``usage: null`` chunks, headers, error bodies).
"""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
import openai
import pytest
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageFunctionToolCall,
)

from mock_provider import MockServer, MockState
from mock_provider.behaviour import decide, estimate_prompt_tokens

MODEL = "gpt-4o-mini"
MESSAGES: list[Any] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "What is the weather in Paris today?"},
]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
            },
            "required": ["city", "unit"],
        },
    },
}
CLOCK = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {"type": "object", "properties": {"timezone": {"type": "string"}}},
    },
}
TOOLS: list[Any] = [WEATHER, CLOCK]


def only_call(completion: ChatCompletion) -> ChatCompletionMessageFunctionToolCall:
    """The single function call of a completion (typed, so the test reads plainly)."""
    calls = completion.choices[0].message.tool_calls
    assert calls is not None and len(calls) == 1
    assert isinstance(calls[0], ChatCompletionMessageFunctionToolCall)
    return calls[0]


async def collect(stream: Any) -> list[ChatCompletionChunk]:
    return [chunk async for chunk in stream]


async def raw_post(
    server: MockServer, path: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """POST without the SDK, to see exactly what goes over the wire."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.url}{path}", data=data, headers=headers or {}) as response,
    ):
        return response.status, dict(response.headers), await response.read()


# ------------------------------------------------------------------ text


async def test_non_streaming_text_is_a_full_chat_completion(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert completion.object == "chat.completion"
    assert re.fullmatch(r"chatcmpl-[0-9a-f]+", completion.id)
    assert completion.model == MODEL
    assert completion.system_fingerprint
    choice = completion.choices[0]
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.tool_calls is None
    content = choice.message.content
    assert content is not None
    assert content.startswith(f"Mock reply from {MODEL}:")
    assert "What is the weather in Paris today?" in content
    assert content == decide(MODEL, MESSAGES).text

    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens == estimate_prompt_tokens(MESSAGES)
    assert usage.completion_tokens == len(content.split())
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 0


async def test_replies_are_deterministic_per_model_and_prompt(client: openai.AsyncOpenAI) -> None:
    async def ask(model: str, text: str) -> str | None:
        completion = await client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": text}]
        )
        return completion.choices[0].message.content

    first = await ask(MODEL, "hello")
    assert first == await ask(MODEL, "hello")
    assert first != await ask("gpt-4o", "hello")
    assert first != await ask(MODEL, "hello!")


async def test_streaming_text_reassembles_to_the_non_streaming_reply(
    client: openai.AsyncOpenAI,
) -> None:
    reference = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    chunks = await collect(
        await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    )

    assert {chunk.id for chunk in chunks} == {chunks[0].id}
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    first, *middle, last = chunks
    assert first.choices[0].delta.role == "assistant"
    assert first.choices[0].delta.content == ""
    assert len(middle) > 3  # one word per delta, not one blob
    assert all(c.choices[0].finish_reason is None for c in [first, *middle])
    streamed = "".join(c.choices[0].delta.content or "" for c in middle)
    assert streamed == reference.choices[0].message.content
    assert last.choices[0].finish_reason == "stop"
    assert last.choices[0].delta.content is None
    assert all(chunk.usage is None for chunk in chunks)


async def test_include_usage_appends_a_usage_chunk(client: openai.AsyncOpenAI) -> None:
    reference = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    chunks = await collect(
        await client.chat.completions.create(
            model=MODEL,
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
    )

    *content_chunks, usage_chunk = chunks
    assert usage_chunk.choices == []
    assert usage_chunk.usage == reference.usage
    assert content_chunks[-1].choices[0].finish_reason == "stop"
    assert all(chunk.usage is None for chunk in content_chunks)


async def test_sdk_stream_helper_rebuilds_the_same_completion(client: openai.AsyncOpenAI) -> None:
    """The SDK's accumulating stream helper is strict about chunk shapes."""
    reference = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    async with client.chat.completions.stream(model=MODEL, messages=MESSAGES) as stream:
        final = await stream.get_final_completion()
    assert final.choices[0].message.content == reference.choices[0].message.content
    assert final.choices[0].finish_reason == "stop"


async def test_raw_sse_framing_matches_openai(mock_server: MockServer, state: MockState) -> None:
    body = {
        "model": MODEL,
        "messages": MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    status, headers, raw = await raw_post(
        mock_server, "/v1/chat/completions", body, {"Authorization": "Bearer test"}
    )

    assert status == 200
    assert headers["Content-Type"].startswith("text/event-stream")
    assert headers.get("Transfer-Encoding") == "chunked"
    events = raw.decode().split("\n\n")
    assert events[-1] == ""
    assert events[-2] == "data: [DONE]"
    payloads = [json.loads(e.removeprefix("data: ")) for e in events[:-2]]
    assert all(e.startswith("data: {") for e in events[:-2])
    assert all(p["usage"] is None for p in payloads[:-1])  # present and null
    assert payloads[-1]["choices"] == []
    assert payloads[-1]["usage"]["total_tokens"] > 0
    assert payloads[-2]["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }

    del body["stream_options"]
    _, _, raw = await raw_post(
        mock_server, "/v1/chat/completions", body, {"Authorization": "Bearer test"}
    )
    assert b'"usage"' not in raw  # no usage key at all without include_usage


# ------------------------------------------------------------------ tools


async def test_tool_call_non_streaming(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(model=MODEL, messages=MESSAGES, tools=TOOLS)

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    call = only_call(completion)
    assert call.type == "function"
    assert re.fullmatch(r"call_[0-9a-f]{24}", call.id)
    assert call.function.name == "get_weather"  # the first tool
    assert json.loads(call.function.arguments) == {"city": "sample", "unit": "celsius"}
    assert completion.usage is not None and completion.usage.completion_tokens > 0


async def test_tool_choice_names_the_tool(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    )
    call = only_call(completion)
    assert call.function.name == "get_time"
    # No "required" list: every property is filled.
    assert json.loads(call.function.arguments) == {"timezone": "sample"}


async def test_tool_choice_none_and_tool_results_get_text(client: openai.AsyncOpenAI) -> None:
    none = await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, tools=TOOLS, tool_choice="none"
    )
    assert none.choices[0].finish_reason == "stop"
    assert none.choices[0].message.content

    first = await client.chat.completions.create(model=MODEL, messages=MESSAGES, tools=TOOLS)
    call = only_call(first)
    follow_up: list[Any] = [
        *MESSAGES,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"temp": 21}'},
    ]
    answer = await client.chat.completions.create(model=MODEL, messages=follow_up, tools=TOOLS)
    assert answer.choices[0].finish_reason == "stop"
    assert answer.choices[0].message.tool_calls is None
    assert answer.choices[0].message.content


async def test_streamed_tool_call_reassembles_to_the_non_streaming_call(
    client: openai.AsyncOpenAI,
) -> None:
    reference = await client.chat.completions.create(model=MODEL, messages=MESSAGES, tools=TOOLS)
    expected = only_call(reference)
    chunks = await collect(
        await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, tools=TOOLS, stream=True
        )
    )

    opening = chunks[0].choices[0].delta
    assert opening.role == "assistant"
    assert opening.tool_calls is not None
    head = opening.tool_calls[0]
    assert (head.index, head.id, head.type) == (0, expected.id, "function")
    assert head.function is not None
    assert (head.function.name, head.function.arguments) == ("get_weather", "")

    fragments = []
    for chunk in chunks[1:-1]:
        (delta_call,) = chunk.choices[0].delta.tool_calls or []
        assert delta_call.index == 0
        assert delta_call.id is None
        assert delta_call.function is not None
        fragments.append(delta_call.function.arguments or "")
    assert len(fragments) > 1
    assert "".join(fragments) == expected.function.arguments
    assert chunks[-1].choices[0].finish_reason == "tool_calls"

    async with client.chat.completions.stream(
        model=MODEL, messages=MESSAGES, tools=TOOLS
    ) as stream:
        final = await stream.get_final_completion()
    final_call = only_call(final)
    assert final_call.id == expected.id
    assert final_call.function.arguments == expected.function.arguments


# ------------------------------------------------------------------ limits


async def test_max_tokens_truncates_with_finish_reason_length(client: openai.AsyncOpenAI) -> None:
    full = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    cut = await client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=3)

    full_text = full.choices[0].message.content or ""
    assert cut.choices[0].finish_reason == "length"
    assert cut.choices[0].message.content == " ".join(full_text.split()[:3])
    assert cut.usage is not None and cut.usage.completion_tokens == 3

    chunks = await collect(
        await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, max_completion_tokens=3, stream=True
        )
    )
    contents = [c.choices[0].delta.content for c in chunks[1:-1]]
    assert len(contents) == 3
    assert "".join(c or "" for c in contents) == cut.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "length"


async def test_stop_cuts_at_the_first_stop_string(client: openai.AsyncOpenAI) -> None:
    full = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    stopped = await client.chat.completions.create(
        model=MODEL, messages=MESSAGES, stop=["Paris", "weather"]
    )
    full_text = full.choices[0].message.content or ""
    assert stopped.choices[0].finish_reason == "stop"
    assert stopped.choices[0].message.content == full_text[: full_text.index("weather")]


async def test_response_format_json_schema(client: openai.AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model=MODEL,
        messages=MESSAGES,
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "forecast",
                "schema": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "high": {"type": "number"}},
                    "required": ["city", "high"],
                },
            },
        },
    )
    assert json.loads(completion.choices[0].message.content or "") == {
        "city": "sample",
        "high": 1.5,
    }


# ------------------------------------------------------------------ errors & auth


async def test_missing_key_is_401(mock_server: MockServer, state: MockState) -> None:
    no_key = openai.AsyncOpenAI(base_url=f"{mock_server.url}/v1", api_key="unused", max_retries=0)
    async with no_key:
        with pytest.raises(openai.AuthenticationError) as caught:
            await no_key.chat.completions.create(
                model=MODEL,
                messages=MESSAGES,
                extra_headers={"Authorization": openai.Omit()},
            )
    assert caught.value.status_code == 401
    assert caught.value.type == "invalid_request_error"
    assert state.requests()[-1].authorization is None

    status, _, raw = await raw_post(
        mock_server, "/v1/chat/completions", {"model": MODEL, "messages": MESSAGES}
    )
    assert status == 401
    error = json.loads(raw)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert "API key" in error["message"]


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"messages": MESSAGES}, "model", None),
        ({"model": MODEL}, "messages", "missing_required_parameter"),
        ({"model": MODEL, "messages": []}, "messages", "empty_array"),
        ({"model": MODEL, "messages": [{"role": "robot"}]}, "messages[0].role", "invalid_value"),
        ({"model": MODEL, "messages": MESSAGES, "max_tokens": 0}, "max_tokens", None),
        ({"model": MODEL, "messages": MESSAGES, "tool_choice": "auto"}, "tool_choice", None),
    ],
)
async def test_invalid_requests_get_openai_400s(
    mock_server: MockServer, state: MockState, body: Any, param: str, code: str | None
) -> None:
    status, _, raw = await raw_post(
        mock_server, "/v1/chat/completions", body, {"Authorization": "Bearer test"}
    )
    assert status == 400
    error = json.loads(raw)["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    if code is not None:
        assert error["code"] == code


async def test_invalid_json_and_sdk_bad_request(
    mock_server: MockServer, client: openai.AsyncOpenAI
) -> None:
    status, _, raw = await raw_post(
        mock_server, "/v1/chat/completions", b"{nope", {"Authorization": "Bearer test"}
    )
    assert status == 400
    assert "could not parse the JSON body" in json.loads(raw)["error"]["message"]

    with pytest.raises(openai.BadRequestError) as caught:
        await client.chat.completions.create(model=MODEL, messages=[])
    assert caught.value.code == "empty_array"


async def test_scripted_429_raises_rate_limit_error_once(
    client: openai.AsyncOpenAI, state: MockState
) -> None:
    state.add_fault({"status": 429, "times": 1, "match": {"model": MODEL}})

    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.response.headers["x-ratelimit-remaining-requests"] == "0"
    assert state.faults == []  # times=1 consumed the rule

    ok = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert ok.choices[0].message.content
    assert state.total == 2  # the faulted request was recorded too


async def test_faults_match_by_key_and_carry_headers(
    mock_server: MockServer, client: openai.AsyncOpenAI, state: MockState
) -> None:
    rule = state.add_fault(
        {
            "status": 429,
            "headers": {"retry-after": "7", "X-RateLimit-Reset-Requests": "20s"},
            "error_type": "insufficient_quota",
            "code": "insufficient_quota",
            "match": {"key": "sk-dead"},
        }
    )
    dead = openai.AsyncOpenAI(base_url=f"{mock_server.url}/v1", api_key="sk-dead", max_retries=0)
    async with dead:
        for _ in range(2):
            with pytest.raises(openai.RateLimitError) as caught:
                await dead.chat.completions.create(model=MODEL, messages=MESSAGES)
            assert caught.value.code == "insufficient_quota"
            assert caught.value.type == "insufficient_quota"
            assert caught.value.response.headers["retry-after"] == "7"
            reset = caught.value.response.headers.get_list("x-ratelimit-reset-requests")
            assert reset == ["20s"]  # overrides the default, case-insensitively
    await client.chat.completions.create(model=MODEL, messages=MESSAGES)  # other key is fine
    assert rule.hits == 2
    assert state.faults == [rule]  # no "times": fires forever

    state.add_fault({"status": 503, "times": 1})
    with pytest.raises(openai.InternalServerError) as server_error:
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert server_error.value.status_code == 503


# ------------------------------------------------------------------ recording & misc


async def test_requests_are_recorded_with_key_prefix_and_model(
    mock_server: MockServer, client: openai.AsyncOpenAI, state: MockState
) -> None:
    groq = openai.AsyncOpenAI(
        base_url=f"{mock_server.url}/groq/openai/v1", api_key="gsk-2", max_retries=0
    )
    async with groq:
        await groq.chat.completions.create(model="llama-3.3-70b", messages=MESSAGES)
    await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    await client.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert state.total == 3
    assert state.by_model == {"llama-3.3-70b": 1, MODEL: 2}
    assert state.by_prefix == {"/groq/openai/v1": 1, "/v1": 2}
    assert state.by_key == {"gsk-2": 1, "test": 2}
    first, second, _ = state.requests()
    assert first.authorization == "Bearer gsk-2"
    assert first.key == "gsk-2"
    assert first.path == "/groq/openai/v1/chat/completions"
    assert first.endpoint == "openai.chat.completions"
    assert first.body["messages"] == MESSAGES
    assert second.body["stream"] is True
    assert second.headers["authorization"] == "Bearer test"
    assert [r.model for r in state.requests(key="gsk-2")] == ["llama-3.3-70b"]


async def test_rate_limit_headers_and_request_id(client: openai.AsyncOpenAI) -> None:
    raw = await client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    for name in ("requests", "tokens"):
        assert int(raw.headers[f"x-ratelimit-limit-{name}"]) > 0
        assert int(raw.headers[f"x-ratelimit-remaining-{name}"]) > 0
        assert raw.headers[f"x-ratelimit-reset-{name}"]
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.parse().choices[0].message.content


async def test_models_list(client: openai.AsyncOpenAI) -> None:
    models = [model.id async for model in client.models.list()]
    assert MODEL in models


async def test_unknown_path_is_an_openai_404(mock_server: MockServer, state: MockState) -> None:
    status, _, raw = await raw_post(mock_server, "/v1/nope", {}, {"Authorization": "Bearer x"})
    assert status == 404
    assert json.loads(raw)["error"]["message"] == "Invalid URL (POST /v1/nope)"
    assert state.requests()[-1].endpoint == "unknown"

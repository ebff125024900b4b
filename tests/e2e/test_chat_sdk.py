"""The official openai SDK against the real bridge, core and mock provider."""

from __future__ import annotations

import json
import re
from typing import cast

import httpx
import openai
import pytest
from openai import OpenAI
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionToolParam,
)

from tests.stack import Stack

TOOLS: list[ChatCompletionToolParam] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city", "days"],
            },
        },
    }
]


@pytest.fixture(scope="module")
def client(stack: Stack, token: str) -> OpenAI:
    return OpenAI(base_url=stack.base_url, api_key=token, max_retries=0)


def test_alias_resolves_to_a_concrete_model(client: OpenAI) -> None:
    resp = client.chat.completions.create(
        model="spideriq/fast",
        messages=[
            {"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": "Say hello in three languages."},
        ],
    )
    assert re.fullmatch(r"chatcmpl-[0-9a-f]{24}", resp.id)
    assert resp.object == "chat.completion"
    assert resp.model == "llama-3.1-8b-instant"  # the chain's first choice, never the alias
    assert resp.choices[0].message.role == "assistant"
    assert resp.choices[0].message.content
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None and resp.usage.total_tokens > 0
    assert resp.model_extra is not None  # our extra fields ride on the SDK's model
    meta = resp.model_extra["spidergate_metadata"]
    assert meta["provider"] == "groq"
    assert meta["requested_model"] == "spideriq/fast"
    assert meta["fallback_used"] is False
    assert meta["cost_usd"] >= 0


def test_every_chat_alias_is_served_in_demo_mode(client: OpenAI, stack: Stack) -> None:
    aliases = [a.id for a in stack.core.catalog.chat_aliases()]
    assert len(aliases) == 26
    for alias in aliases:
        resp = client.chat.completions.create(
            model=alias, messages=[{"role": "user", "content": "ping"}]
        )
        assert resp.model and resp.model != alias


def test_stream_has_role_first_finish_last_and_no_usage_unless_asked(client: OpenAI) -> None:
    stream = client.chat.completions.create(
        model="spideriq/chat",
        stream=True,
        messages=[{"role": "user", "content": "Count to five."}],
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert all(c.model == "llama-3.3-70b-versatile" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    whole = client.chat.completions.create(
        model="spideriq/chat", messages=[{"role": "user", "content": "Count to five."}]
    )
    assert text == whole.choices[0].message.content


def test_stream_include_usage_ends_with_a_usage_chunk(client: OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="spideriq/fast",
            stream=True,
            stream_options={"include_usage": True},
            messages=[{"role": "user", "content": "hi"}],
        )
    )
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_tool_calls_round_trip(client: OpenAI) -> None:
    resp = client.chat.completions.create(
        model="spideriq/tool-use",
        messages=[{"role": "user", "content": "weather in Paris?"}],
        tools=TOOLS,
    )
    assert resp.choices[0].message.tool_calls
    call = resp.choices[0].message.tool_calls[0]
    assert resp.choices[0].finish_reason == "tool_calls"
    assert isinstance(call, ChatCompletionMessageFunctionToolCall)
    assert call.function.name == "get_weather"
    args = json.loads(call.function.arguments)
    assert set(args) == {"city", "days"}

    stream = client.chat.completions.create(
        model="spideriq/tool-use",
        stream=True,
        messages=[{"role": "user", "content": "weather in Paris?"}],
        tools=TOOLS,
    )
    pieces: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in stream:
        for tc in chunk.choices[0].delta.tool_calls or []:
            slot = pieces.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
            slot["id"] += tc.id or ""
            slot["name"] += (tc.function.name or "") if tc.function else ""
            slot["arguments"] += (tc.function.arguments or "") if tc.function else ""
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    assert pieces[0]["name"] == "get_weather"
    assert json.loads(pieces[0]["arguments"]) == args

    # The tool's answer goes back and the model replies with text.
    follow = client.chat.completions.create(
        model="spideriq/tool-use",
        tools=TOOLS,
        messages=[
            {"role": "user", "content": "weather in Paris?"},
            # The reply's message sent back as is: its dump is an assistant-message param.
            cast(
                ChatCompletionAssistantMessageParam,
                resp.choices[0].message.model_dump(exclude_none=True),
            ),
            {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
        ],
    )
    assert follow.choices[0].message.content


def test_models_list_and_retrieve_with_a_slash(client: OpenAI) -> None:
    models = client.models.list()
    ids = [m.id for m in models.data]
    assert "openai/gpt-4o" in ids and "groq/llama-3.1-8b-instant" in ids
    one = client.models.retrieve("openrouter/openai/gpt-4o")
    assert one.id == "openrouter/openai/gpt-4o"
    assert one.model_extra is not None
    assert one.model_extra["spidergate_info"]["provider"] == "openrouter"


def test_errors_are_typed_sdk_exceptions_with_our_codes(stack: Stack, client: OpenAI) -> None:
    bad = OpenAI(base_url=stack.base_url, api_key="spideriq_pat_" + "0" * 32, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as auth:
        bad.chat.completions.create(
            model="spideriq/fast", messages=[{"role": "user", "content": "x"}]
        )
    assert auth.value.code == "invalid_api_key"
    assert auth.value.response.headers["www-authenticate"] == "Bearer"

    malformed = OpenAI(base_url=stack.base_url, api_key="not-a-token", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as fmt:
        malformed.chat.completions.create(
            model="spideriq/fast", messages=[{"role": "user", "content": "x"}]
        )
    assert fmt.value.code == "invalid_token_format"

    with pytest.raises(openai.NotFoundError) as nf:
        client.chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "x"}]
        )
    assert nf.value.code == "model_not_found"

    with pytest.raises(openai.BadRequestError) as br:
        client.chat.completions.create(
            model="spideriq/fast", temperature=3, messages=[{"role": "user", "content": "x"}]
        )
    assert br.value.code == "invalid_request"
    assert br.value.param == "temperature"

    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("nope/nothing")


def test_missing_key_and_bad_json_over_raw_http(stack: Stack, token: str) -> None:
    url = stack.base_url + "/chat/completions"
    r = httpx.post(url, json={"model": "spideriq/fast", "messages": []})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "missing_api_key"
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.headers["x-request-id"]
    headers = {"Authorization": f"Bearer {token}"}
    r = httpx.post(url, content=b"{not json", headers=headers)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request"
    r = httpx.post(url, json={"model": "spideriq/fast", "messages": []}, headers=headers)
    assert r.status_code == 400 and r.json()["error"]["param"] == "messages"
    r = httpx.post(
        url,
        json={
            "model": "spideriq/fast",
            "stream": True,
            "messages": [{"role": "user", "content": "x"}],
            "top_p": 7,
        },
        headers=headers,
    )
    # Errors before the first chunk are plain JSON, never an SSE frame.
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/json")
    assert r.json()["error"]["param"] == "top_p"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("top_p", 1.5),
        ("n", 0),
        ("n", 129),
        ("max_tokens", 0),
        ("max_completion_tokens", 0),
        ("presence_penalty", -3),
        ("frequency_penalty", 2.5),
        ("stop", ["a", "b", "c", "d", "e"]),
    ],
)
def test_ranges_are_validated(client: OpenAI, field: str, value: object) -> None:
    with pytest.raises(openai.BadRequestError) as br:
        client.chat.completions.create(
            model="spideriq/fast",
            messages=[{"role": "user", "content": "x"}],
            extra_body={field: value},
        )
    assert br.value.param == field


def test_unknown_fields_reach_the_provider_untouched(client: OpenAI, stack: Stack) -> None:
    client.chat.completions.create(
        model="groq/llama-3.1-8b-instant",
        messages=[{"role": "user", "content": "remember me"}],
        extra_body={
            "my_custom_field": {"nested": [1, 2, 3]},
            "spidergate_options": {"timeout_ms": 5000},
        },
    )
    last = stack.mock.state.records[-1]
    assert last.body["my_custom_field"] == {"nested": [1, 2, 3]}
    assert "spidergate_options" not in last.body
    assert last.body["model"] == "llama-3.1-8b-instant"


def test_v1_prefix_serves_the_same_routes(stack: Stack, token: str) -> None:
    base = f"http://127.0.0.1:{stack.http_port}/v1"
    c = OpenAI(base_url=base, api_key=token, max_retries=0)
    resp = c.chat.completions.create(
        model="spideriq/fast", messages=[{"role": "user", "content": "x"}]
    )
    assert resp.model == "llama-3.1-8b-instant"


def test_client_credential_works_too(stack: Stack, brand: tuple[str, str]) -> None:
    c = OpenAI(base_url=stack.base_url, api_key=brand[1], max_retries=0)
    resp = c.chat.completions.create(
        model="spideriq/fast", messages=[{"role": "user", "content": "x"}]
    )
    assert resp.choices[0].message.content


def test_route_trace_on_request(stack: Stack, token: str) -> None:
    r = httpx.post(
        stack.base_url + "/chat/completions?include_route_trace=true",
        json={"model": "spideriq/fast", "messages": [{"role": "user", "content": "x"}]},
        headers={"Authorization": f"Bearer {token}"},
    )
    trace = r.json()["route_trace"]
    assert trace[-1]["outcome"] == "success" and trace[-1]["provider"] == "groq"
    assert "demo-key" not in r.text

"""The official anthropic SDK against ``/v1/messages`` (the real bridge, core and mock
provider): through models served by an OpenAI-format, an Anthropic and a Gemini
upstream, both base URLs, both ways of sending the token, typed errors."""

from __future__ import annotations

import base64
import json
from typing import Any

import anthropic
import httpx
import pytest
from anthropic import Anthropic
from anthropic.types import MessageParam, TextBlock, ToolParam, ToolUseBlock

from gate_service.auth.principal import TokenControls
from tests.e2e.test_wire_formats import MODELS
from tests.stack import Stack

TOOLS: list[ToolParam] = [
    {
        "name": "lookup_order",
        "description": "Find an order",
        "input_schema": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}, "verbose": {"type": "boolean"}},
            "required": ["order_id", "verbose"],
        },
    }
]
QUESTION: list[MessageParam] = [{"role": "user", "content": "Where is order 42?"}]
# A 1x1 PNG.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()


def _root(stack: Stack) -> str:
    """``http://host:port``: the SDK then calls ``/v1/messages``."""
    return stack.base_url.removesuffix("/api/gate/v1")


@pytest.fixture(scope="module")
def client(stack: Stack, token: str) -> Anthropic:
    """``base_url=.../api/gate``, the token as ``x-api-key`` (the SDK's ``api_key``)."""
    stack.core.router.health.clear()
    return Anthropic(base_url=_root(stack) + "/api/gate", api_key=token, max_retries=0)


@pytest.fixture(scope="module")
def limited(stack: Stack, brand: tuple[str, str]) -> str:
    """A token with request limits, so that its answers carry ``X-RateLimit-*``."""
    controls = TokenControls(rpm=10_000)
    _, token = stack.core.identity.mint_token(brand[0], "messages-limited", None, controls)
    return str(token)


def _text(message: anthropic.types.Message) -> str:
    return "".join(b.text for b in message.content if isinstance(b, TextBlock))


@pytest.mark.parametrize("fmt", sorted(MODELS))
def test_create_with_system(client: Anthropic, stack: Stack, fmt: str) -> None:
    message = client.messages.create(
        model=MODELS[fmt],
        max_tokens=200,
        system="Be brief.",
        messages=[{"role": "user", "content": "Hello there"}],
    )
    assert message.id.startswith("msg_") and message.type == "message"
    assert message.role == "assistant"
    assert message.model == MODELS[fmt].split("/", 1)[1]  # the served model
    assert _text(message) and message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    record = stack.mock.state.records[-1]
    assert record.endpoint.startswith(fmt)
    assert "Be brief." in json.dumps(record.body)  # the system prompt reached the upstream


@pytest.mark.parametrize("fmt", sorted(MODELS))
def test_create_with_an_image_block(client: Anthropic, stack: Stack, fmt: str) -> None:
    model = MODELS[fmt] if fmt != "openai" else "openai/gpt-4o"
    message = client.messages.create(
        model=model,
        max_tokens=100,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this picture?"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PIXEL},
                    },
                ],
            }
        ],
    )
    assert _text(message)
    assert PIXEL in json.dumps(stack.mock.state.records[-1].body)  # the image went upstream


@pytest.mark.parametrize("fmt", sorted(MODELS))
def test_stream_text(client: Anthropic, fmt: str) -> None:
    whole = client.messages.create(model=MODELS[fmt], max_tokens=200, messages=QUESTION)
    with client.messages.stream(model=MODELS[fmt], max_tokens=200, messages=QUESTION) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_message()
    assert events[0] == "message_start"
    assert {"content_block_start", "content_block_delta", "content_block_stop"} <= set(events)
    assert events[-2:] == ["message_delta", "message_stop"]
    assert _text(final) == _text(whole)
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == whole.usage.output_tokens
    assert final.usage.input_tokens == whole.usage.input_tokens


@pytest.mark.parametrize("fmt", sorted(MODELS))
def test_stream_a_tool_use_round_trip(client: Anthropic, fmt: str) -> None:
    with client.messages.stream(
        model=MODELS[fmt], max_tokens=200, messages=QUESTION, tools=TOOLS
    ) as stream:
        deltas = [e.delta.type for e in stream if e.type == "content_block_delta"]
        asked = stream.get_final_message()
    assert "input_json_delta" in deltas
    assert asked.stop_reason == "tool_use"
    [use] = [b for b in asked.content if isinstance(b, ToolUseBlock)]
    assert use.name == "lookup_order" and use.id
    assert isinstance(use.input, dict) and set(use.input) == {"order_id", "verbose"}
    unary = client.messages.create(
        model=MODELS[fmt], max_tokens=200, messages=QUESTION, tools=TOOLS
    )
    assert [b.type for b in unary.content if b.type == "tool_use"] == ["tool_use"]

    # The tool's result goes back (the assistant turn as the SDK returned it) and the
    # model answers in text.
    follow_up: list[MessageParam] = [
        *QUESTION,
        {"role": "assistant", "content": asked.content},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": use.id, "content": '{"status": "shipped"}'}
            ],
        },
    ]
    with client.messages.stream(
        model=MODELS[fmt], max_tokens=200, messages=follow_up, tools=TOOLS
    ) as stream:
        answer = stream.get_final_message()
    assert answer.stop_reason == "end_turn" and _text(answer)


def test_the_event_stream_on_the_wire(stack: Stack, limited: str) -> None:
    """The raw SSE: ``event:`` lines naming each ``data:``'s type, a ping after the start
    (the SDK does not hand pings out), one block per kind of content, well nested."""
    body = {"model": MODELS["anthropic"], "max_tokens": 100, "messages": QUESTION}
    headers = {"x-api-key": limited, "anthropic-version": "2023-06-01"}
    with httpx.stream(
        "POST", stack.base_url + "/messages", json={**body, "stream": True}, headers=headers
    ) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["X-RateLimit-Limit-Requests"] and r.headers["X-Request-Id"]
        raw = r.read().decode()
    events = [e for e in raw.split("\n\n") if e]
    names = []
    for event in events:
        name_line, data_line = event.split("\n")
        name = name_line.removeprefix("event: ")
        assert json.loads(data_line.removeprefix("data: "))["type"] == name
        names.append(name)
    assert names[:3] == ["message_start", "ping", "content_block_start"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(names[3:-3]) == {"content_block_delta"}


def test_count_tokens(client: Anthropic) -> None:
    short = client.messages.count_tokens(model=MODELS["anthropic"], messages=QUESTION)
    long = client.messages.count_tokens(
        model=MODELS["anthropic"],
        system="You are a meticulous assistant. " * 20,
        messages=QUESTION,
    )
    assert 0 < short.input_tokens < long.input_tokens
    with pytest.raises(anthropic.NotFoundError):
        client.messages.count_tokens(model="nobody/no-such-model", messages=QUESTION)


def test_bearer_auth_and_the_root_base_url(stack: Stack, token: str) -> None:
    bearer = Anthropic(base_url=_root(stack), auth_token=token, max_retries=0)
    message = bearer.messages.create(model=MODELS["openai"], max_tokens=50, messages=QUESTION)
    assert _text(message)
    keyed = Anthropic(base_url=_root(stack), api_key=token, max_retries=0)
    assert keyed.messages.count_tokens(model=MODELS["gemini"], messages=QUESTION).input_tokens


def test_errors_are_typed_anthropic_exceptions(stack: Stack, client: Anthropic) -> None:
    stranger = Anthropic(base_url=_root(stack), api_key="sg-not-a-token", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as auth:
        stranger.messages.create(model=MODELS["openai"], max_tokens=10, messages=QUESTION)
    assert auth.value.body == {
        "type": "error",
        "error": {**_error(auth.value), "type": "authentication_error"},
    }
    with pytest.raises(anthropic.NotFoundError) as missing:
        client.messages.create(model="nobody/no-such-model", max_tokens=10, messages=QUESTION)
    assert _error(missing.value)["type"] == "not_found_error"
    assert _error(missing.value)["code"] == "model_not_found"
    with pytest.raises(anthropic.BadRequestError) as bad:
        client.messages.create(
            model=MODELS["openai"],
            max_tokens=10,
            messages=[{"role": "user", "content": [{"type": "image", "source": {"type": "x"}}]}],  # type: ignore[list-item]
        )
    assert _error(bad.value)["type"] == "invalid_request_error"
    assert "source.type" in _error(bad.value)["message"]


def test_an_untranslatable_body_is_refused_after_authentication(stack: Stack, limited: str) -> None:
    url = stack.base_url + "/messages"
    body: dict[str, Any] = {"model": MODELS["openai"], "messages": "not a list"}
    anonymous = httpx.post(url, json=body)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["type"] == "authentication_error"
    headers = {"x-api-key": limited, "anthropic-version": "2023-06-01"}
    refused = httpx.post(url, json=body, headers=headers)
    assert refused.status_code == 400
    assert refused.json() == {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": refused.json()["error"]["message"],
            "code": "invalid_request",
            "param": "messages",
        },
    }
    assert "X-RateLimit-Limit-Requests" in refused.headers and refused.headers["X-Request-Id"]
    no_max = httpx.post(
        url, json={"model": MODELS["openai"], "messages": QUESTION}, headers=headers
    )
    assert no_max.status_code == 400 and no_max.json()["error"]["param"] == "max_tokens"


def _error(exc: anthropic.APIStatusError) -> dict[str, Any]:
    body = exc.body
    assert isinstance(body, dict) and body["type"] == "error"
    error: dict[str, Any] = body["error"]
    assert error["message"]
    return error

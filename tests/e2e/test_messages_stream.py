"""Streamed ``/v1/messages`` (the real bridge, core and mock provider): the anthropic SDK's
``messages.stream`` through task aliases served by an OpenAI-format, an Anthropic and a
Gemini upstream (text, and a tool_use round trip: tool_use block, tool_result, final
answer), and Anthropic's event sequence checked event by event on the wire."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest
from anthropic import Anthropic
from anthropic.types import MessageParam, ToolUseBlock

from tests.e2e.messages_support import (
    CLIENTS,
    FORMATS,
    QUESTION,
    TOOLS,
    UPSTREAMS,
    make_client,
    text_of,
)
from tests.stack import Stack

Event = tuple[str, dict[str, Any]]


@pytest.fixture(autouse=True)
def clean(stack: Stack) -> Iterator[None]:
    stack.core.router.health.clear()
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    yield
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    stack.core.router.health.clear()


@pytest.fixture(scope="module", params=CLIENTS)
def client(request: pytest.FixtureRequest, stack: Stack, token: str) -> Anthropic:
    return make_client(stack, token, request.param)


@pytest.mark.parametrize("fmt", FORMATS)
def test_stream_text(client: Anthropic, stack: Stack, fmt: str) -> None:
    up = UPSTREAMS[fmt]
    whole = client.messages.create(
        model=up.alias, max_tokens=200, messages=QUESTION, extra_body=up.extra_body()
    )
    with client.messages.stream(
        model=up.alias, max_tokens=200, messages=QUESTION, extra_body=up.extra_body()
    ) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_message()
    assert stack.mock.state.records[-1].endpoint.startswith(fmt)
    assert events[0] == "message_start"
    assert {"content_block_start", "content_block_delta", "content_block_stop"} <= set(events)
    assert events[-2:] == ["message_delta", "message_stop"]
    assert final.model == up.served
    assert text_of(final) == text_of(whole)
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == whole.usage.output_tokens
    assert final.usage.input_tokens == whole.usage.input_tokens


@pytest.mark.parametrize("fmt", FORMATS)
def test_stream_a_tool_use_round_trip(client: Anthropic, stack: Stack, fmt: str) -> None:
    up = UPSTREAMS[fmt]
    with client.messages.stream(
        model=up.alias, max_tokens=200, messages=QUESTION, tools=TOOLS, extra_body=up.extra_body()
    ) as stream:
        deltas = [e.delta.type for e in stream if e.type == "content_block_delta"]
        asked = stream.get_final_message()
    assert stack.mock.state.records[-1].endpoint.startswith(fmt)
    assert "input_json_delta" in deltas
    assert asked.stop_reason == "tool_use" and asked.model == up.served
    [use] = [b for b in asked.content if isinstance(b, ToolUseBlock)]
    assert use.name == "lookup_order" and use.id
    assert isinstance(use.input, dict) and set(use.input) == {"order_id", "verbose"}

    # The tool's result goes back, with the assistant turn as the SDK returned it, and the
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
        model=up.alias, max_tokens=200, messages=follow_up, tools=TOOLS, extra_body=up.extra_body()
    ) as stream:
        answer = stream.get_final_message()
    assert answer.stop_reason == "end_turn" and text_of(answer)
    sent = json.dumps(stack.mock.state.records[-1].body)
    assert "shipped" in sent and "lookup_order" in sent  # the call and its result went up


def _events(raw: str) -> list[Event]:
    """SSE text → (event name, data) pairs, each ``event:`` line naming its data's type."""
    events: list[Event] = []
    for frame in (f for f in raw.split("\n\n") if f):
        name_line, data_line = frame.split("\n")
        name = name_line.removeprefix("event: ")
        data = json.loads(data_line.removeprefix("data: "))
        assert data["type"] == name
        events.append((name, data))
    return events


def _blocks(events: list[Event]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The content blocks, each its start's block and its deltas, checked well nested:
    start, deltas of the same index, stop; indexes 0, 1, 2... in order."""
    blocks: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    open_index: int | None = None
    for name, data in events:
        if name == "content_block_start":
            assert open_index is None and data["index"] == len(blocks)
            open_index = data["index"]
            blocks.append((data["content_block"], []))
        elif name == "content_block_delta":
            assert data["index"] == open_index
            blocks[-1][1].append(data["delta"])
        elif name == "content_block_stop":
            assert data["index"] == open_index
            open_index = None
        else:
            raise AssertionError(f"{name} inside the content blocks")
    assert open_index is None
    return blocks


@pytest.mark.parametrize("tools", [False, True], ids=["text", "tool_use"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_event_sequence_on_the_wire(stack: Stack, token: str, fmt: str, tools: bool) -> None:
    """message_start, ping, content_block_start / _delta (text_delta or input_json_delta)
    / _stop, message_delta with the stop reason and the usage, message_stop: checked
    event by event against the unary answer to the same request."""
    up = UPSTREAMS[fmt]
    body: dict[str, Any] = {
        "model": up.alias,
        "max_tokens": 100,
        "messages": QUESTION,
        **up.extra_body(),
        **({"tools": TOOLS} if tools else {}),
    }
    headers = {"x-api-key": token, "anthropic-version": "2023-06-01"}
    url = stack.base_url + "/messages"
    whole = httpx.post(url, json=body, headers=headers).json()
    with httpx.stream("POST", url, json={**body, "stream": True}, headers=headers) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["X-Request-Id"]
        events = _events(r.read().decode())

    names = [name for name, _ in events]
    assert names[:2] == ["message_start", "ping"] and names[-2:] == [
        "message_delta",
        "message_stop",
    ]
    start = events[0][1]["message"]
    assert start["id"].startswith("msg_") and start["role"] == "assistant"
    assert start["model"] == up.served and start["content"] == []
    assert start["stop_reason"] is None

    blocks = _blocks(events[2:-2])
    if tools:
        [(block, deltas)] = blocks
        assert block["type"] == "tool_use" and block["name"] == "lookup_order" and block["id"]
        assert {d["type"] for d in deltas} == {"input_json_delta"}
        arguments = json.loads("".join(d["partial_json"] for d in deltas))
        [expected] = [b for b in whole["content"] if b["type"] == "tool_use"]
        assert arguments == expected["input"]
    else:
        [(block, deltas)] = blocks
        assert block == {"type": "text", "text": ""}
        assert {d["type"] for d in deltas} == {"text_delta"}
        assert "".join(d["text"] for d in deltas) == whole["content"][0]["text"]

    delta = events[-2][1]
    assert delta["delta"] == {
        "stop_reason": "tool_use" if tools else "end_turn",
        "stop_sequence": None,
    }
    assert delta["usage"]["output_tokens"] == whole["usage"]["output_tokens"] > 0
    assert delta["usage"]["input_tokens"] == whole["usage"]["input_tokens"] > 0
    assert events[-1][1] == {"type": "message_stop"}


def test_a_refusal_before_the_first_event_is_a_typed_exception(stack: Stack, token: str) -> None:
    sdk = make_client(stack, token, CLIENTS[1])
    with (
        pytest.raises(anthropic.NotFoundError),
        sdk.messages.stream(model="nobody/no-such-model", max_tokens=10, messages=QUESTION),
    ):
        pass


def test_a_failure_after_the_first_event_is_an_error_event(stack: Stack, token: str) -> None:
    """The upstream breaks mid-stream: nothing to fail over to once text went out, so the
    stream ends with one ``event: error`` in Anthropic's shape, which the SDK raises."""
    up = UPSTREAMS["anthropic"]
    fault = {"kind": "stream_cut", "after_chunks": 4, "match": {"model": up.served}}
    httpx.post(stack.mock.url + "/__mock/faults", json=fault).raise_for_status()
    sdk = make_client(stack, token, CLIENTS[0])
    seen: list[str] = []
    with (
        pytest.raises(anthropic.APIStatusError) as broken,
        sdk.messages.stream(
            model=up.alias,
            max_tokens=100,
            messages=[{"role": "user", "content": "Tell me a long story about order 42"}],
            extra_body=up.extra_body(),
        ) as stream,
    ):
        seen.extend(event.type for event in stream)
    assert seen[0] == "message_start" and "content_block_delta" in seen
    body = broken.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    assert body["error"]["type"] == "api_error" and body["error"]["code"] == "upstream_error"

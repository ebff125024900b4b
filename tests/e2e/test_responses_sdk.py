"""The Responses API end to end: the official openai SDK's ``client.responses`` against the
real bridge, core and mock provider, through task aliases served by each wire format
(OpenAI-compatible, Anthropic, Gemini: ``tests/e2e/format_aliases.py``)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, TypedDict

import httpx
import openai
import pytest
from openai import OpenAI
from openai.types.responses import ResponseStreamEvent

from tests.e2e.format_aliases import ALIASES, FORMATS, served_by
from tests.stack import Stack

TOOL: Any = {
    "type": "function",
    "name": "lookup_order",
    "description": "Find an order",
    "parameters": {
        "type": "object",
        "properties": {"order_id": {"type": "string"}, "verbose": {"type": "boolean"}},
        "required": ["order_id", "verbose"],
        "additionalProperties": False,
    },
    "strict": True,
}
SCHEMA: Any = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["city", "population"],
    "additionalProperties": False,
}


class Via(TypedDict):
    model: str
    extra_body: dict[str, Any]


def via(fmt: str) -> Via:
    """The ``create`` arguments that send a request to the alias of ``fmt``."""
    return {"model": ALIASES[fmt].alias, "extra_body": ALIASES[fmt].extra_body}


@pytest.fixture(scope="module")
def client(stack: Stack, token: str) -> OpenAI:
    stack.core.router.health.clear()
    return OpenAI(base_url=stack.base_url, api_key=token, max_retries=0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_plain_text(client: OpenAI, stack: Stack, fmt: str) -> None:
    resp = client.responses.create(
        **via(fmt),
        instructions="Be brief.",
        input="Hello there",
        metadata={"ticket": "T-1"},
        max_output_tokens=200,
    )
    assert served_by(stack) == (fmt, ALIASES[fmt].model)
    assert resp.id.startswith("resp_") and resp.object == "response"
    assert resp.status == "completed"
    assert resp.model == ALIASES[fmt].model
    assert resp.output_text.startswith(f"Mock reply from {ALIASES[fmt].model}")
    assert resp.output[-1].type == "message" and resp.output[-1].role == "assistant"
    assert resp.usage and resp.usage.input_tokens > 0 and resp.usage.output_tokens > 0
    assert resp.usage.total_tokens == resp.usage.input_tokens + resp.usage.output_tokens
    assert resp.metadata == {"ticket": "T-1"} and resp.instructions == "Be brief."
    # The instructions went upstream (as the system prompt, however the format spells it).
    assert "Be brief." in json.dumps(stack.mock.state.records[-1].body)


@pytest.mark.parametrize("fmt", FORMATS)
def test_streamed_event_sequence(client: OpenAI, stack: Stack, fmt: str) -> None:
    whole = client.responses.create(**via(fmt), input="Hello there", store=False)
    events: list[ResponseStreamEvent] = list(
        client.responses.create(**via(fmt), input="Hello there", stream=True)
    )
    assert served_by(stack)[0] == fmt
    kinds = [e.type for e in events]
    assert kinds[:5] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert set(kinds[4:-4]) == {"response.output_text.delta"} and len(kinds) > 9
    assert [e.sequence_number for e in events] == list(range(len(events)))
    created = events[0].response  # type: ignore[union-attr]
    assert created.status == "in_progress" and created.usage is None
    assert created.model == ALIASES[fmt].model  # the model serving, never the alias
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    done = next(e for e in events if e.type == "response.output_text.done")
    assert deltas == done.text == whole.output_text
    completed = events[-1].response  # type: ignore[union-attr]
    assert completed.id == created.id and completed.status == "completed"
    assert completed.model == ALIASES[fmt].model
    assert completed.output_text == deltas
    usage = completed.usage
    assert usage and usage.input_tokens == whole.usage.input_tokens  # type: ignore[union-attr]
    assert usage.output_tokens == whole.usage.output_tokens > 0  # type: ignore[union-attr]
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens


@pytest.mark.parametrize("fmt", FORMATS)
def test_function_tool_round_trip(client: OpenAI, stack: Stack, fmt: str) -> None:
    first = client.responses.create(
        **via(fmt), input="Where is order 42?", tools=[TOOL], tool_choice="required"
    )
    assert served_by(stack)[0] == fmt
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "lookup_order"
    args = json.loads(calls[0].arguments)
    assert isinstance(args["order_id"], str) and isinstance(args["verbose"], bool)
    second = client.responses.create(
        **via(fmt),
        previous_response_id=first.id,
        input=[
            {
                "type": "function_call_output",
                "call_id": calls[0].call_id,
                "output": '{"status": "shipped"}',
            }
        ],
        tools=[TOOL],
    )
    assert second.output_text and served_by(stack)[0] == fmt
    # The upstream saw the whole conversation: the question, the call and its result.
    sent = json.dumps(stack.mock.state.records[-1].body)
    assert "Where is order 42?" in sent and "shipped" in sent and "lookup_order" in sent
    assert calls[0].call_id in sent or fmt == "gemini"  # Gemini matches results by name

    streamed: list[ResponseStreamEvent] = list(
        client.responses.create(
            **via(fmt),
            input="Where is order 7?",
            tools=[TOOL],
            stream=True,
            tool_choice={"type": "function", "name": "lookup_order"},
        )
    )
    assert served_by(stack)[0] == fmt
    kinds = [e.type for e in streamed]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in streamed] == list(range(len(streamed)))
    call_events = [k for k in kinds if "function_call_arguments" in k or "output_item" in k]
    assert call_events[0] == "response.output_item.added"
    assert call_events[-2:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
    ]
    assert "response.function_call_arguments.delta" in call_events
    done = next(e for e in streamed if e.type == "response.function_call_arguments.done")
    deltas = "".join(
        e.delta for e in streamed if e.type == "response.function_call_arguments.delta"
    )
    assert json.loads(done.arguments) == json.loads(deltas)
    item = next(e for e in streamed if e.type == "response.output_item.done").item
    assert item.type == "function_call" and item.name == "lookup_order"
    completed = streamed[-1].response  # type: ignore[union-attr]
    assert [o.type for o in completed.output][-1] == "function_call"
    assert completed.usage and completed.usage.output_tokens > 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_text_format_json_schema(client: OpenAI, stack: Stack, fmt: str) -> None:
    resp = client.responses.create(
        **via(fmt),
        input="Largest city of France, as JSON.",
        text={"format": {"type": "json_schema", "name": "city", "schema": SCHEMA, "strict": True}},
    )
    assert served_by(stack)[0] == fmt
    value = json.loads(resp.output_text)
    assert isinstance(value["city"], str) and isinstance(value["population"], int)
    assert resp.text.format.type == "json_schema"  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", FORMATS)
def test_previous_response_id_across_three_turns(client: OpenAI, stack: Stack, fmt: str) -> None:
    turns = ["My name is Ada.", "I live in Lyon.", "What do you know about me?"]
    previous = None
    answers = []
    for turn in turns:
        resp = client.responses.create(**via(fmt), input=turn, previous_response_id=previous)
        assert resp.previous_response_id == previous and served_by(stack)[0] == fmt
        answers.append(resp.output_text)
        previous = resp.id
    sent = json.dumps(stack.mock.state.records[-1].body)
    # The third request carried both earlier turns and the assistant's answers to them,
    # in order (each mock answer echoes its question, so each is distinct).
    earlier = [turns[0], answers[0], turns[1], answers[1], turns[2]]
    where = [sent.index(json.dumps(text)[1:-1]) for text in earlier]
    assert where == sorted(where)
    assert answers[2] not in sent
    # The stored chain is the brand's: the third's input items are only its own input.
    assert previous is not None
    items = client.responses.input_items.list(previous, order="asc")
    contents: list[Any] = [i.to_dict()["content"] for i in items.data]
    assert [c[0]["text"] for c in contents] == [turns[2]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_retrieve_input_items_and_delete(client: OpenAI, stack: Stack, fmt: str) -> None:
    made = client.responses.create(
        **via(fmt),
        input=[
            {"role": "developer", "content": "Answer in French."},
            {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
        ],
    )
    assert served_by(stack)[0] == fmt
    got = client.responses.retrieve(made.id)
    assert got.id == made.id and got.output_text == made.output_text
    assert got.to_dict() == made.to_dict()
    items = client.responses.input_items.list(made.id, order="asc")
    roles = [item.role for item in items.data]  # type: ignore[union-attr]
    assert roles == ["developer", "user"]
    assert all(item.id for item in items.data)
    page = client.responses.input_items.list(made.id, limit=1)
    assert len(page.data) == 1 and page.has_more and page.data[0].role == "user"  # type: ignore[union-attr]
    rest = client.responses.input_items.list(made.id, limit=1, after=page.data[0].id)
    assert [i.role for i in rest.data] == ["developer"] and not rest.has_more  # type: ignore[union-attr]
    deleted = client.responses.with_raw_response.delete(made.id)
    assert deleted.status_code == 200
    assert deleted.http_response.json() == {"id": made.id, "object": "response", "deleted": True}
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(made.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.input_items.list(made.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(made.id)


def test_store_false_is_not_kept(client: OpenAI) -> None:
    made = client.responses.create(**via("gemini"), input="Hi", store=False)
    assert made.to_dict()["store"] is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(made.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.create(**via("gemini"), input="Hi", previous_response_id=made.id)
    streamed: list[ResponseStreamEvent] = list(
        client.responses.create(**via("gemini"), input="Hi", store=False, stream=True)
    )
    completed = streamed[-1].response  # type: ignore[union-attr]
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(completed.id)


def test_a_stream_the_upstream_cuts_ends_with_an_error_event(
    client: OpenAI, stack: Stack, token: str
) -> None:
    """After the first events a failure is one last ``error`` event (OpenAI's shape, the
    next sequence number); the response is not stored, and the ledger says why it ended."""
    stack.mock.state.add_fault(
        {
            "kind": "stream_cut",
            "after_chunks": 6,
            "chunk_delay_ms": 30,  # paced, so the events before the cut are relayed
            "times": 1,
            "match": {"model": ALIASES["openai"].model},
        }
    )
    try:
        raw = client.with_raw_response.responses.create(
            **via("openai"), input="[mock:words=40] go", stream=True
        )
        events: list[ResponseStreamEvent] = list(raw.parse())
    finally:
        stack.mock.state.clear_faults()
        stack.core.router.health.clear()  # the cut put the key in cooldown
    kinds = [e.type for e in events]
    assert kinds[0] == "response.created" and "response.output_text.delta" in kinds
    assert kinds[-1] == "error" and "response.completed" not in kinds
    error = events[-1]
    assert error.code == "upstream_error" and error.message  # type: ignore[union-attr]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(events[0].response.id)  # type: ignore[union-attr]
    assert stack.run(stack.core.ledger.flush())
    trace = httpx.get(
        f"{stack.base_url}/traces/{raw.headers['x-request-id']}",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert (trace["kind"], trace["status"], trace["error_code"]) == (
        "response",
        502,
        "upstream_error",
    )


def test_retention_bound(client: OpenAI, stack: Stack) -> None:
    """A stored response is served until the retention bound (``--responses-retention-days``,
    30 days by default) and never after it: the store's injected clock is moved."""
    store = stack.core.responses.store
    assert store.retention == timedelta(days=stack.settings.responses_retention_days)
    made = client.responses.create(**via("openai"), input="Remember me")
    real = store.clock
    try:
        store.clock = lambda: real() + store.retention - timedelta(minutes=1)
        assert client.responses.retrieve(made.id).id == made.id
        store.clock = lambda: real() + store.retention + timedelta(minutes=1)
        with pytest.raises(openai.NotFoundError):
            client.responses.retrieve(made.id)
        with pytest.raises(openai.NotFoundError):
            client.responses.input_items.list(made.id)
        with pytest.raises(openai.NotFoundError) as caught:
            client.responses.create(**via("openai"), input="Hi", previous_response_id=made.id)
        assert caught.value.body["param"] == "previous_response_id"  # type: ignore[index]
    finally:
        store.clock = real


def test_another_brand_gets_404(client: OpenAI, stack: Stack) -> None:
    made = client.responses.create(**via("openai"), input="Hi")
    view, _ = stack.core.identity.create_brand("other-brand-responses")
    _, other_token = stack.core.identity.mint_token(view.client_id, "agent-x", None)
    other = OpenAI(base_url=stack.base_url, api_key=str(other_token), max_retries=0)
    with pytest.raises(openai.NotFoundError) as caught:
        other.responses.retrieve(made.id)
    assert caught.value.body["code"] == "not_found"  # type: ignore[index]
    with pytest.raises(openai.NotFoundError):
        other.responses.input_items.list(made.id)
    with pytest.raises(openai.NotFoundError):
        other.responses.delete(made.id)
    with pytest.raises(openai.NotFoundError):
        other.responses.create(**via("openai"), input="Hi", previous_response_id=made.id)
    assert client.responses.retrieve(made.id).id == made.id  # still there for its brand


HOSTED: list[Any] = [
    {"type": "web_search"},
    {"type": "web_search_preview"},
    {"type": "file_search", "vector_store_ids": ["vs_1"]},
    {"type": "code_interpreter", "container": {"type": "auto"}},
    {"type": "computer_use"},
    {
        "type": "computer_use_preview",
        "display_width": 1024,
        "display_height": 768,
        "environment": "browser",
    },
]


@pytest.mark.parametrize("tool", HOSTED, ids=[t["type"] for t in HOSTED])
def test_hosted_tool_is_a_400_naming_it(client: OpenAI, stack: Stack, tool: Any) -> None:
    before = stack.mock.state.total
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(**via("openai"), input="Hi", tools=[TOOL, tool])
    body: Any = caught.value.body
    assert tool["type"] in body["message"] and body["param"] == "tools[1].type"
    assert body["code"] == "invalid_request"
    assert stack.mock.state.total == before  # refused before any upstream call


def test_ledger_records_kind_response(client: OpenAI, stack: Stack, token: str) -> None:
    raw = client.with_raw_response.responses.create(**via("openai"), input="Hi")
    streamed = client.with_raw_response.responses.create(
        **via("anthropic"), input="Hi", stream=True
    )
    list(streamed.parse())
    assert stack.run(stack.core.ledger.flush())
    for made, streamed_flag, served in ((raw, False, "groq"), (streamed, True, "anthropic")):
        trace = httpx.get(
            f"{stack.base_url}/traces/{made.headers['x-request-id']}",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert (trace["kind"], trace["status"], trace["streamed"]) == (
            "response",
            200,
            streamed_flag,
        )
        assert trace["provider"] == served, trace

"""The Responses API end to end: the official openai SDK's ``client.responses`` against the
real bridge, core and mock provider, through models served by each wire format
(OpenAI-compatible, Anthropic, Gemini)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from tests.e2e.test_wire_formats import MODELS
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
FORMATS = sorted(MODELS)


@pytest.fixture(scope="module")
def client(stack: Stack, token: str) -> OpenAI:
    stack.core.router.health.clear()
    return OpenAI(base_url=stack.base_url, api_key=token, max_retries=0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_plain_text(client: OpenAI, stack: Stack, fmt: str) -> None:
    resp = client.responses.create(
        model=MODELS[fmt],
        instructions="Be brief.",
        input="Hello there",
        metadata={"ticket": "T-1"},
        max_output_tokens=200,
    )
    assert resp.id.startswith("resp_") and resp.object == "response"
    assert resp.status == "completed"
    assert resp.model == MODELS[fmt].split("/", 1)[1]
    assert resp.output_text
    assert resp.output[0].type == "message" and resp.output[0].role == "assistant"
    assert resp.usage and resp.usage.input_tokens > 0 and resp.usage.output_tokens > 0
    assert resp.usage.total_tokens == resp.usage.input_tokens + resp.usage.output_tokens
    assert resp.metadata == {"ticket": "T-1"} and resp.instructions == "Be brief."
    record = stack.mock.state.records[-1]
    assert record.endpoint.startswith(fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_streamed_event_sequence(client: OpenAI, fmt: str) -> None:
    whole = client.responses.create(model=MODELS[fmt], input="Hello there", store=False)
    events = list(client.responses.create(model=MODELS[fmt], input="Hello there", stream=True))
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
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    done = next(e for e in events if e.type == "response.output_text.done")
    assert deltas == done.text == whole.output_text
    completed = events[-1].response  # type: ignore[union-attr]
    assert completed.output_text == deltas
    assert completed.usage and completed.usage.output_tokens == whole.usage.output_tokens  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", FORMATS)
def test_function_tool_round_trip(client: OpenAI, stack: Stack, fmt: str) -> None:
    first = client.responses.create(
        model=MODELS[fmt], input="Where is order 42?", tools=[TOOL], tool_choice="required"
    )
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "lookup_order"
    args = json.loads(calls[0].arguments)
    assert isinstance(args["order_id"], str) and isinstance(args["verbose"], bool)
    second = client.responses.create(
        model=MODELS[fmt],
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
    assert second.output_text
    # The upstream saw the whole conversation: the question, the call and its result.
    sent = json.dumps(stack.mock.state.records[-1].body)
    assert "Where is order 42?" in sent and "shipped" in sent
    assert calls[0].call_id in sent or fmt == "gemini"  # Gemini matches results by name

    streamed = list(
        client.responses.create(
            model=MODELS[fmt],
            input="Where is order 7?",
            tools=[TOOL],
            stream=True,
            tool_choice={"type": "function", "name": "lookup_order"},
        )
    )
    kinds = [e.type for e in streamed]
    assert "response.function_call_arguments.delta" in kinds
    done = next(e for e in streamed if e.type == "response.function_call_arguments.done")
    deltas = "".join(
        e.delta for e in streamed if e.type == "response.function_call_arguments.delta"
    )
    assert json.loads(done.arguments) == json.loads(deltas)
    item = next(e for e in streamed if e.type == "response.output_item.done").item
    assert item.type == "function_call" and item.name == "lookup_order"


# response_format on Anthropic is emulated (a forced tool) by the honest-parameters part
# of issue 11 (branch `honest`); until it is merged the schema is dropped there. Strict:
# once it is, this case passes and the marker must go.
_JSON_FORMATS = [
    pytest.param(
        fmt,
        marks=pytest.mark.xfail(
            strict=True, reason="json_schema emulation on Anthropic lands with branch honest"
        ),
    )
    if fmt == "anthropic"
    else fmt
    for fmt in FORMATS
]


@pytest.mark.parametrize("fmt", _JSON_FORMATS)
def test_text_format_json_schema(client: OpenAI, fmt: str) -> None:
    resp = client.responses.create(
        model=MODELS[fmt],
        input="Largest city of France, as JSON.",
        text={"format": {"type": "json_schema", "name": "city", "schema": SCHEMA, "strict": True}},
    )
    value = json.loads(resp.output_text)
    assert isinstance(value["city"], str) and isinstance(value["population"], int)
    assert resp.text.format.type == "json_schema"  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", FORMATS)
def test_previous_response_id_across_three_turns(client: OpenAI, stack: Stack, fmt: str) -> None:
    turns = ["My name is Ada.", "I live in Lyon.", "What do you know about me?"]
    previous = None
    for turn in turns:
        resp = client.responses.create(model=MODELS[fmt], input=turn, previous_response_id=previous)
        assert resp.previous_response_id == previous
        previous = resp.id
    sent = json.dumps(stack.mock.state.records[-1].body)
    # The third request carried both earlier turns and the assistant's answers to them.
    assert all(turn in sent for turn in turns)
    assert sent.count("Mock reply") >= 2 or sent.count("mock") >= 2


def test_retrieve_input_items_and_delete(client: OpenAI) -> None:
    made = client.responses.create(
        model=MODELS["openai"],
        input=[
            {"role": "developer", "content": "Answer in French."},
            {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
        ],
    )
    got = client.responses.retrieve(made.id)
    assert got.id == made.id and got.output_text == made.output_text
    items = client.responses.input_items.list(made.id, order="asc")
    roles = [item.role for item in items.data]  # type: ignore[union-attr]
    assert roles == ["developer", "user"]
    assert all(item.id for item in items.data)
    page = client.responses.input_items.list(made.id, limit=1)
    assert len(page.data) == 1 and page.has_more and page.data[0].role == "user"  # type: ignore[union-attr]
    client.responses.delete(made.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(made.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(made.id)


def test_store_false_is_not_kept(client: OpenAI) -> None:
    made = client.responses.create(model=MODELS["openai"], input="Hi", store=False)
    assert made.to_dict()["store"] is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(made.id)


def test_another_brand_gets_404(client: OpenAI, stack: Stack) -> None:
    made = client.responses.create(model=MODELS["openai"], input="Hi")
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
        other.responses.create(model=MODELS["openai"], input="Hi", previous_response_id=made.id)
    assert client.responses.retrieve(made.id).id == made.id  # still there for its brand


@pytest.mark.parametrize("tool", ["web_search_preview", "file_search", "code_interpreter"])
def test_hosted_tool_is_a_400_naming_it(client: OpenAI, tool: str) -> None:
    hosted: Any = {"type": tool}
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model=MODELS["openai"],
            input="Hi",
            tools=[hosted],
        )
    body: Any = caught.value.body
    assert tool in body["message"] and body["param"] == "tools[0].type"


def test_ledger_records_kind_response(client: OpenAI, stack: Stack, token: str) -> None:
    raw = client.with_raw_response.responses.create(model=MODELS["openai"], input="Hi")
    streamed = client.with_raw_response.responses.create(
        model=MODELS["anthropic"], input="Hi", stream=True
    )
    list(streamed.parse())
    assert stack.run(stack.core.ledger.flush())
    for made, streamed_flag in ((raw, False), (streamed, True)):
        trace = httpx.get(
            f"{stack.base_url}/traces/{made.headers['x-request-id']}",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert (trace["kind"], trace["status"], trace["streamed"]) == (
            "response",
            200,
            streamed_flag,
        )

"""Clients built on the Responses API against the gateway: the OpenAI Agents SDK with its
Responses model running an agent with a function tool, LangChain's
``ChatOpenAI(use_responses_api=True)`` streaming, the openai Node SDK, and the core's
ResponsesService over gRPC from Python, through task aliases served by each wire format
of the mock (``tests/e2e/format_aliases.py``)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import grpc
import pytest
from agents import (
    Agent,
    ModelSettings,
    OpenAIProvider,
    OpenAIResponsesModel,
    RunConfig,
    Runner,
    function_tool,
    set_tracing_disabled,
)
from langchain_openai import ChatOpenAI
from openai import AsyncOpenAI

from spidergate.v1 import responses_pb2, responses_pb2_grpc
from tests.e2e.format_aliases import ALIASES, FORMATS, served_by
from tests.stack import Stack

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


@pytest.mark.parametrize("fmt", FORMATS)
def test_agents_sdk_runs_an_agent_with_a_function_tool(stack: Stack, token: str, fmt: str) -> None:
    """The Agents SDK as its users run it: a model given by name, resolved by the SDK's
    default provider, whose default model is the Responses one."""
    stack.core.router.health.clear()
    set_tracing_disabled(True)
    asked: list[str] = []

    @function_tool
    def lookup_order(order_id: str, verbose: bool) -> str:
        """Find an order by its id."""
        asked.append(order_id)
        return json.dumps({"order_id": order_id, "status": "shipped"})

    async def run() -> Any:
        client = AsyncOpenAI(base_url=stack.base_url, api_key=token, max_retries=0)
        provider = OpenAIProvider(openai_client=client)
        assert isinstance(provider.get_model(ALIASES[fmt].alias), OpenAIResponsesModel)
        agent = Agent(
            name="support",
            instructions="Look orders up with the tool.",
            model=ALIASES[fmt].alias,
            model_settings=ModelSettings(extra_body=ALIASES[fmt].extra_body),
            tools=[lookup_order],
        )
        try:
            config = RunConfig(model_provider=provider)
            return await Runner.run(agent, "Where is order 42?", max_turns=4, run_config=config)
        finally:
            await client.close()

    start = stack.mock.state.total
    result = asyncio.run(run())
    assert len(asked) >= 1 and all(isinstance(a, str) and a for a in asked)
    assert isinstance(result.final_output, str) and result.final_output
    # Two model turns at least (the call, then the answer), each served by the format.
    served = [r for r in stack.mock.state.records if r.seq > start]
    assert len(served) >= 2 and {r.endpoint.split(".", 1)[0] for r in served} == {fmt}
    # The last upstream request carried the tool's result back to the model.
    assert "shipped" in json.dumps(served[-1].body)


@pytest.mark.parametrize("fmt", FORMATS)
def test_langchain_streams_over_the_responses_api(stack: Stack, token: str, fmt: str) -> None:
    stack.core.router.health.clear()
    llm = ChatOpenAI(
        model=ALIASES[fmt].alias,
        base_url=stack.base_url,
        api_key=token,  # type: ignore[arg-type]
        use_responses_api=True,
        extra_body=ALIASES[fmt].extra_body,
        max_retries=0,
    )
    whole = llm.invoke("Hello there")
    assert served_by(stack) == (fmt, ALIASES[fmt].model)
    chunks = list(llm.stream("Hello there"))
    assert served_by(stack) == (fmt, ALIASES[fmt].model)
    text = "".join(str(c.text) for c in chunks)
    assert text and text == str(whole.text)
    assert len([c for c in chunks if str(c.text)]) > 1  # streamed, not one whole chunk
    usage = [c.usage_metadata for c in chunks if c.usage_metadata]
    assert usage and usage[-1]["output_tokens"] > 0 and usage[-1]["input_tokens"] > 0


@pytest.fixture(scope="module")
def node_report(stack: Stack, token: str) -> dict[str, Any]:
    """What the openai Node SDK got from each alias (tests/node/responses.mjs), and the
    mock's records of the upstream calls it caused."""
    if shutil.which("node") is None or not (NODE_DIR / "node_modules" / "openai").exists():
        pytest.fail("node and tests/node/node_modules are needed (scripts/test.sh installs them)")
    stack.core.router.health.clear()
    start = stack.mock.state.total
    routes = {f: {"alias": a.alias, "options": a.options} for f, a in ALIASES.items()}
    out = subprocess.run(
        ["node", str(NODE_DIR / "responses.mjs")],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "SPIDERGATE_URL": stack.base_url,
            "SPIDERIQ_TOKEN": token,
            "ROUTES": json.dumps(routes),
        },
        check=False,
    )
    assert out.returncode == 0, out.stderr
    report: dict[str, Any] = json.loads(out.stdout)
    assert sorted(report) == FORMATS
    report["_records"] = [r for r in stack.mock.state.records if r.seq > start]
    return report


_TEXT_EVENTS = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
]
_TEXT_DONE = [
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_node_sdk_responses(node_report: dict[str, Any], fmt: str) -> None:
    seen = node_report[fmt]
    model = ALIASES[fmt].model
    assert seen["model"] == model and seen["text"].startswith(f"Mock reply from {model}")
    usage = seen["usage"]
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0

    # Streamed: OpenAI's event order, sequence numbers from 0, usage at the end.
    stream = seen["stream"]
    types = stream["types"]
    assert types[:4] == _TEXT_EVENTS and types[-4:] == _TEXT_DONE
    assert set(types[4:-4]) == {"response.output_text.delta"} and len(types) > 9
    assert stream["sequence"] == list(range(len(types)))
    assert stream["text"] == stream["done_text"] == seen["text"]
    assert stream["completed_output"][-1]["content"][0]["text"] == seen["text"]
    assert stream["usage"]["output_tokens"] == usage["output_tokens"]
    assert stream["usage"]["total_tokens"] == (
        stream["usage"]["input_tokens"] + stream["usage"]["output_tokens"]
    )

    # The function tool, whole then streamed.
    tool = seen["tool"]
    assert tool["name"] == "lookup_order" and isinstance(json.loads(tool["arguments"]), dict)
    assert tool["after"].startswith("Mock reply")
    assert "response.function_call_arguments.delta" in tool["types"]
    assert tool["types"][-3:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert tool["sequence"] == list(range(len(tool["types"])))
    assert json.loads(tool["deltas"]) == json.loads(tool["done"])

    # Three turns: each names the one before, and the third upstream call carried the
    # first two turns and both answers.
    chain = seen["chain"]
    assert [c["previous"] for c in chain] == [None, chain[0]["id"], chain[1]["id"]]
    third = next(
        r
        for r in reversed(node_report["_records"])
        if seen["turns"][0] in json.dumps(r.body) and seen["turns"][2] in json.dumps(r.body)
    )
    assert third.endpoint.startswith(fmt)
    sent = json.dumps(third.body)
    assert all(json.dumps(c["text"])[1:-1] in sent for c in chain[:2])

    # input_items, retrieve and delete.
    items = seen["input_items"]
    assert items["roles"] == ["developer", "user"] and all(items["ids"])
    assert items["page_roles"] == ["user"] and items["page_has_more"] is True
    assert seen["retrieved"] == seen["id"] and seen["retrieved_text"] == seen["text"]
    assert (seen["after_delete"], seen["delete_again"]) == (404, 404)


def test_node_sdk_calls_reach_each_format(node_report: dict[str, Any]) -> None:
    # Ten creates per alias (plain, streamed, tool call, tool result, streamed tool call,
    # json_schema, three turns, input items), each served by the alias's format alone.
    served = [r.endpoint.split(".", 1)[0] for r in node_report["_records"]]
    assert {f: served.count(f) for f in FORMATS} == {f: 10 for f in FORMATS}


@pytest.mark.parametrize("fmt", FORMATS)
def test_node_sdk_text_format_json_schema(node_report: dict[str, Any], fmt: str) -> None:
    seen = node_report[fmt]["json"]
    value = json.loads(seen["text"])
    assert isinstance(value["city"], str) and isinstance(value["population"], int)
    assert seen["format"] == "json_schema"


def test_grpc_from_python(stack: Stack, token: str) -> None:
    async def run() -> tuple[Any, list[str], Any]:
        metadata = (("authorization", f"Bearer {token}"),)
        async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
            stub = responses_pb2_grpc.ResponsesServiceStub(channel)
            body = {
                "model": ALIASES["gemini"].alias,
                "spidergate_options": ALIASES["gemini"].options,
                "input": "Hello there",
                "instructions": "Be brief.",
            }
            made = await stub.CreateResponse(
                responses_pb2.CreateResponseRequest(request_json=json.dumps(body).encode()),
                metadata=metadata,
            )
            response = json.loads(made.response_json)
            kinds: list[str] = []
            call = stub.StreamResponse(
                responses_pb2.StreamResponseRequest(request_json=json.dumps(body).encode()),
                metadata=metadata,
            )
            async for message in call:
                kinds.extend(e.type for e in message.events)
            got = await stub.GetResponse(
                responses_pb2.GetResponseRequest(response_id=response["id"]), metadata=metadata
            )
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.GetResponse(
                    responses_pb2.GetResponseRequest(response_id="resp_missing"),
                    metadata=metadata,
                )
            assert caught.value.code() == grpc.StatusCode.NOT_FOUND
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.CreateResponse(
                    responses_pb2.CreateResponseRequest(request_json=b'{"model": "x"'),
                    metadata=metadata,
                )
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            return response, kinds, json.loads(got.response_json)

    response, kinds, got = stack.run(run())
    assert response["status"] == "completed" and response["output"][0]["type"] == "message"
    assert response["usage"]["input_tokens"] > 0
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert got == response

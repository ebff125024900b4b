"""Clients built on the Responses API against the gateway: the OpenAI Agents SDK with its
Responses model running an agent with a function tool, LangChain's
``ChatOpenAI(use_responses_api=True)`` streaming, the openai Node SDK, and the core's
ResponsesService over gRPC from Python, through each wire format of the mock."""

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
from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled
from langchain_openai import ChatOpenAI
from openai import AsyncOpenAI

from spidergate.v1 import responses_pb2, responses_pb2_grpc
from tests.e2e.test_wire_formats import MODELS
from tests.stack import Stack

FORMATS = sorted(MODELS)
NODE_DIR = Path(__file__).resolve().parents[1] / "node"


@pytest.mark.parametrize("fmt", FORMATS)
def test_agents_sdk_runs_an_agent_with_a_function_tool(stack: Stack, token: str, fmt: str) -> None:
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
        model = OpenAIResponsesModel(model=MODELS[fmt], openai_client=client)
        agent = Agent(
            name="support",
            instructions="Look orders up with the tool.",
            model=model,
            tools=[lookup_order],
        )
        try:
            return await Runner.run(agent, "Where is order 42?", max_turns=4)
        finally:
            await client.close()

    result = asyncio.run(run())
    assert len(asked) >= 1 and all(isinstance(a, str) and a for a in asked)
    assert isinstance(result.final_output, str) and result.final_output
    # The last upstream request carried the tool's result back to the model.
    assert "shipped" in json.dumps(stack.mock.state.records[-1].body)


@pytest.mark.parametrize("fmt", FORMATS)
def test_langchain_streams_over_the_responses_api(stack: Stack, token: str, fmt: str) -> None:
    stack.core.router.health.clear()
    llm = ChatOpenAI(
        model=MODELS[fmt],
        base_url=stack.base_url,
        api_key=token,  # type: ignore[arg-type]
        use_responses_api=True,
        max_retries=0,
    )
    whole = llm.invoke("Hello there")
    chunks = list(llm.stream("Hello there"))
    text = "".join(c.text() if callable(c.text) else str(c.text) for c in chunks)
    assert text and text == (whole.text() if callable(whole.text) else whole.text)
    assert len([c for c in chunks if (c.text() if callable(c.text) else c.text)]) > 1
    usage = [c.usage_metadata for c in chunks if c.usage_metadata]
    assert usage and usage[-1]["output_tokens"] > 0
    assert stack.mock.state.records[-1].endpoint.startswith(fmt)


def test_node_sdk_responses(stack: Stack, token: str) -> None:
    if shutil.which("node") is None or not (NODE_DIR / "node_modules" / "openai").exists():
        pytest.fail("node and tests/node/node_modules are needed (scripts/test.sh installs them)")
    out = subprocess.run(
        ["node", str(NODE_DIR / "responses.mjs")],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "SPIDERGATE_URL": stack.base_url,
            "SPIDERIQ_TOKEN": token,
            "MODELS": json.dumps(MODELS),
        },
        check=False,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert sorted(report) == FORMATS
    for fmt, seen in report.items():
        assert seen["text"].startswith("Mock reply"), fmt
        assert seen["streamed"] == seen["text"], fmt
        assert seen["events"][0] == "response.created", fmt
        assert seen["events"][-1] == "response.completed", fmt
        assert seen["tool"] == "lookup_order", fmt
        assert seen["after_tool"], fmt
        assert seen["retrieved"] == seen["id"] and seen["deleted"] is True, fmt


def test_grpc_from_python(stack: Stack, token: str) -> None:
    async def run() -> tuple[Any, list[str], Any]:
        metadata = (("authorization", f"Bearer {token}"),)
        async with grpc.aio.insecure_channel(stack.grpc_target) as channel:
            stub = responses_pb2_grpc.ResponsesServiceStub(channel)
            body = {"model": MODELS["gemini"], "input": "Hello there", "instructions": "Be brief."}
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

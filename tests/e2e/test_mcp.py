"""The MCP server driven by the official ``mcp`` SDK's client, over stdio (spawning
``spidergate mcp``) and over Streamable HTTP (the bridge's ``/mcp``), against a real
gateway and the mock provider: every tool listed, chat through an alias, usage and
traces scoped to the token's brand, refusals as tool errors carrying the API's envelope,
and no token refused on either transport."""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.e2e.mcp_support import (
    TRANSPORTS,
    answered,
    body,
    connect,
    mcp_url,
    refused,
    stdio_params,
)
from tests.stack import Stack, make_settings

OPERATOR = "op-token-for-the-mcp-tests"
TOOLS = {
    "chat",
    "list_models",
    "list_aliases",
    "health",
    "get_usage",
    "list_traces",
    "get_trace",
    "trace_stats",
    "capacity",
    "flow",
    "create_prompt",
    "list_prompts",
    "search_prompts",
    "get_prompt",
    "delete_prompt",
    "admin_list_aliases",
    "admin_show_alias",
    "admin_validate_chain",
    "admin_set_chain",
    "admin_rollback_alias",
}
_names = itertools.count()


@pytest.fixture(scope="module")
def mstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = make_settings(Path(tmp_path_factory.mktemp("mcp-gateway")))
    s = Stack(dataclasses.replace(settings, operator_token=OPERATOR)).start(demo=True)
    yield s
    s.stop()


class Brand:
    def __init__(self, stack: Stack) -> None:
        view, self.credential = stack.core.identity.create_brand(f"mcp-brand-{next(_names)}")
        self.agent = str(stack.core.identity.mint_token(view.client_id, "agent-a", None)[1])


@pytest.fixture(scope="module")
def one(mstack: Stack) -> Brand:
    return Brand(mstack)


@pytest.fixture(scope="module")
def two(mstack: Stack) -> Brand:
    return Brand(mstack)


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    return await client.call_tool(tool, arguments)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_every_tool_is_listed(mstack: Stack, one: Brand, transport: str) -> None:
    async with connect(mstack, transport, one.agent) as client:
        listed = (await client.list_tools()).tools
    assert {t.name for t in listed} == TOOLS
    assert all(t.description for t in listed)
    chat = next(t for t in listed if t.name == "chat")
    assert {"message", "model", "system", "max_tokens", "prompt"} <= set(
        chat.input_schema["properties"]
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_chat_through_an_alias(mstack: Stack, one: Brand, transport: str) -> None:
    async with connect(mstack, transport, one.agent) as client:
        answer = answered(await call(client, "chat", message="hello", model="spideriq/fast"))
        assert "hello" in answer["content"]
        assert answer["finish_reason"] == "stop"
        assert answer["model"] and answer["provider"]
        assert answer["cost_usd"] > 0
        assert answer["usage"]["total_tokens"] > 0
        mstack.run(mstack.core.ledger.flush())
        trace = answered(await call(client, "get_trace", trace_id=answer["trace_id"]))
    assert trace["id"] == answer["trace_id"]
    assert trace["requested_model"] == "spideriq/fast"
    assert trace["model"] == answer["model"]
    # The request went through the gateway to the provider: the mock saw it.
    sent = [r for r in list(mstack.mock.state.records) if "hello" in str(r.body)]
    assert sent and sent[-1].model == answer["model"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_usage_and_traces_are_the_tokens_brands(
    mstack: Stack, one: Brand, two: Brand, transport: str
) -> None:
    async with connect(mstack, transport, one.agent) as client:
        mine = answered(await call(client, "chat", message="one", model="spideriq/fast"))
    async with connect(mstack, transport, two.agent) as client:
        theirs = answered(await call(client, "chat", message="two", model="spideriq/fast"))
        mstack.run(mstack.core.ledger.flush())
        listed = answered(await call(client, "list_traces", limit=100))
        ids = {t["id"] for t in listed["data"]}
        assert theirs["trace_id"] in ids and mine["trace_id"] not in ids
        # Another brand's trace by id: the same 404 as a missing one.
        missing = refused(await call(client, "get_trace", trace_id=mine["trace_id"]))
        assert (missing["status"], missing["code"]) == (404, "not_found")
        usage = answered(await call(client, "get_usage"))
        stats = answered(await call(client, "trace_stats"))
    assert usage["totals"]["requests"] == len(ids)
    assert {g["agent"] for g in usage["by_agent"]} == {"agent-a"}
    assert stats["count"] == len(ids)
    # The brand's credential sees the brand's traces, the agent's among them, not two's.
    async with connect(mstack, transport, one.credential) as client:
        brand_traces = answered(await call(client, "list_traces", limit=100))
    brand_ids = {t["id"] for t in brand_traces["data"]}
    assert mine["trace_id"] in brand_ids and theirs["trace_id"] not in brand_ids


async def test_catalog_and_analytics_tools(mstack: Stack, one: Brand) -> None:
    async with connect(mstack, "http", one.credential) as client:
        health = answered(await call(client, "health"))
        models = answered(await call(client, "list_models", kind="alias", limit=500))
        aliases = answered(await call(client, "list_aliases"))
        capacity = answered(await call(client, "capacity", days=7))
        flow = answered(await call(client, "flow", days=7))
        bad = refused(await call(client, "list_models", limit=0))
    assert health["status"] == "ok"
    assert "spideriq/fast" in {m["id"] for m in models["data"]}
    assert "spideriq/fast" in {a["id"] for a in aliases["data"]}
    assert capacity["object"] == "capacity" and flow["object"] == "flow"
    # The API's own validation, as a tool error naming the parameter.
    assert (bad["status"], bad["code"], bad["param"]) == (400, "invalid_request", "limit")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_bad_token_is_refused_per_tool(mstack: Stack, transport: str) -> None:
    async with connect(mstack, transport, "spideriq_pat_" + "0" * 32) as client:
        error = refused(await call(client, "get_usage"))
    assert (error["status"], error["code"]) == (401, "invalid_api_key")


def test_http_without_a_token_is_refused(mstack: Stack) -> None:
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    headers = {"Accept": "application/json, text/event-stream"}
    r = httpx.post(mcp_url(mstack), json=initialize, headers=headers, timeout=30)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["code"] == "missing_api_key"


async def test_the_sdk_without_a_token_gets_no_session(mstack: Stack) -> None:
    with pytest.raises(ExceptionGroup) as raised:
        async with connect(mstack, "http", None) as client:
            await client.list_tools()
    assert raised.group_contains(MCPError, match="error response", depth=None)


def test_stdio_without_a_token_is_refused(mstack: Stack) -> None:
    env = {"SPIDERGATE_URL": f"http://127.0.0.1:{mstack.http_port}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "gate_service.cli.main", "mcp"],
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "needs a token" in done.stderr and done.stdout == ""


async def test_stdio_with_no_gateway_answers_service_unavailable(mstack: Stack) -> None:
    params = stdio_params(mstack, "spideriq_pat_" + "0" * 32)
    assert params.env is not None
    params.env["SPIDERGATE_URL"] = "http://127.0.0.1:1"  # nothing listens there
    async with Client(params, read_timeout_seconds=60) as client:
        error = refused(await call(client, "health"))
    assert (error["status"], error["code"]) == (503, "service_unavailable")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_alias_admin_is_the_operators(mstack: Stack, one: Brand, transport: str) -> None:
    slot = {"provider": "groq", "model": "llama-3.1-8b-instant"}
    every_admin_tool: list[tuple[str, dict[str, Any]]] = [
        ("admin_list_aliases", {}),
        ("admin_show_alias", {"alias_id": "spideriq/fast"}),
        ("admin_validate_chain", {"alias_id": "spideriq/fast", "chain": [slot]}),
        ("admin_set_chain", {"alias_id": "spideriq/fast", "chain": [slot]}),
        ("admin_rollback_alias", {"alias_id": "spideriq/fast", "history_id": 1}),
    ]
    async with connect(mstack, transport, one.agent) as client:
        for tool, arguments in every_admin_tool:
            denied = refused(await call(client, tool, **arguments))
            assert (denied["status"], denied["code"]) == (403, "permission_denied"), tool
    async with connect(mstack, transport, OPERATOR) as client:
        listed = answered(await call(client, "admin_list_aliases"))
        shown = answered(await call(client, "admin_show_alias", alias_id="spideriq/tool-use"))
        verdict = answered(
            await call(client, "admin_validate_chain", alias_id="spideriq/fast", chain=[slot])
        )
        no_tools = {"provider": "together", "model": "Qwen/Qwen2.5-Coder-32B-Instruct"}
        rejected = body(
            await call(
                client, "admin_validate_chain", alias_id="spideriq/tool-use", chain=[no_tools]
            )
        )
    assert "spideriq/fast" in {a["id"] for a in listed["data"]}
    assert shown["id"] == "spideriq/tool-use" and shown["tool_alias"] is True
    assert (verdict["alias_id"], len(verdict["slots"])) == ("spideriq/fast", 1)
    assert isinstance(verdict["all_ok"], bool)
    # The refusal's whole envelope travels, its extra fields included.
    assert (rejected["status"], rejected["error"]["code"]) == (422, "chain_rejected")
    assert rejected["rejected_slots"][0]["reason"] == "no_tools"


async def test_an_operator_replaces_and_rolls_back_a_chain(mstack: Stack) -> None:
    alias = "spideriq/translation"
    async with connect(mstack, "http", OPERATOR) as client:
        before = answered(await call(client, "admin_show_alias", alias_id=alias))["chain"]
        changed = answered(
            await call(
                client, "admin_set_chain", alias_id=alias, chain=before[:1], reason="mcp test"
            )
        )
        assert changed["chain"] == before[:1]
        seed = next(h for h in changed["history"] if h["actor"] == "seed")
        answered(await call(client, "admin_rollback_alias", alias_id=alias, history_id=seed["id"]))
        after = answered(await call(client, "admin_show_alias", alias_id=alias))
    assert after["chain"] == before
    assert after["history"][0]["reason"].startswith("rollback to version 1")


async def test_saved_prompt_tools(mstack: Stack, one: Brand, two: Brand) -> None:
    name = f"greeter-{next(_names)}"
    async with connect(mstack, "http", one.credential) as client:
        created = answered(
            await call(client, "create_prompt", name=name, system_prompt="Greet {{who}}.")
        )
        prompt_id = created["id"]
        listed = answered(await call(client, "list_prompts"))
        found = answered(await call(client, "search_prompts", q=name))
        got = answered(await call(client, "get_prompt", prompt_id=prompt_id))
    assert prompt_id in str(listed) and prompt_id in str(found)
    assert got["name"] == name
    async with connect(mstack, "http", two.credential) as client:
        other = refused(await call(client, "get_prompt", prompt_id=prompt_id))
    assert other["status"] == 404
    async with connect(mstack, "http", one.credential) as client:
        answered(await call(client, "delete_prompt", prompt_id=prompt_id))
        gone = refused(await call(client, "get_prompt", prompt_id=prompt_id))
    assert gone["status"] == 404

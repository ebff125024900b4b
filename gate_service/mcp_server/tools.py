"""The MCP tools of the gateway: chat, the catalog, health, usage, traces and the other
analytics. Saved prompts and alias administration are in :mod:`.tools_admin`.

Each tool is one documented REST route (docs/api.md) called through
:class:`~gate_service.client.GateClient` with the *caller's* token, so what a tool may do
and see is exactly what that token may over REST: an agent token sees its own usage and
traces, a brand credential its brand's, and a refusal comes back as a tool error carrying
the route's error envelope (:mod:`.results`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import Field

from gate_service.client import GateClient
from gate_service.client.chat import DEFAULT_MODEL, chat_body, chat_summary
from gate_service.mcp_server.results import answer

# How a tool finds the client for the request it serves: over stdio the one client of
# the process (its --token); over HTTP one made with the MCP request's own bearer token.
ClientSource = Callable[[Context], GateClient]

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
Since = Annotated[
    str | None, Field(description="window start (the API's `from`), ISO-8601, UTC if no zone")
]
Until = Annotated[
    str | None, Field(description="window end, exclusive (the API's `to`; default now)")
]


def register(server: MCPServer, client_for: ClientSource) -> None:
    """Add the chat, catalog and analytics tools to ``server``."""

    @server.tool(
        description="Send a chat request through the gateway (an alias such as "
        "spideriq/chat, or a model id) and get the answer's content, the model and "
        "provider that served it, its cost in USD and its trace id (for get_trace)."
    )
    async def chat(
        ctx: Context,
        message: Annotated[str | None, Field(description="the user's message")] = None,
        model: Annotated[str, Field(description="alias or model id")] = DEFAULT_MODEL,
        system: Annotated[str | None, Field(description="a system message")] = None,
        messages: Annotated[
            list[dict[str, Any]] | None,
            Field(description="a whole OpenAI-style messages list (instead of message)"),
        ] = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        prompt: Annotated[str | None, Field(description='a saved prompt, "prompt:<id>"')] = None,
    ) -> CallToolResult:
        body = chat_body(
            message,
            model=model,
            system=system,
            messages=messages,
            max_tokens=max_tokens,
            temperature=temperature,
            prompt=prompt,
        )

        async def call(client: GateClient) -> dict[str, Any]:
            return chat_summary(await client.chat(body), client.last_request_id)

        return await answer(client_for(ctx), call)

    @server.tool(
        description="List the catalog's models and aliases (GET /models), filtered.",
        annotations=READ_ONLY,
    )
    async def list_models(
        ctx: Context,
        provider: str | None = None,
        capability: Annotated[
            str | None, Field(description="e.g. function_calling, vision")
        ] = None,
        search: str | None = None,
        kind: Literal["model", "alias"] | None = None,
        configured_only: bool | None = None,
        free_only: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> CallToolResult:
        query = {
            "provider": provider,
            "capability": capability,
            "search": search,
            "kind": kind,
            "configured_only": configured_only,
            "free_only": free_only,
            "limit": limit,
            "offset": offset,
        }
        return await answer(client_for(ctx), lambda c: c.models(query))

    @server.tool(
        description="List the aliases (spideriq/*, agent/*) with their chains (GET /aliases).",
        annotations=READ_ONLY,
    )
    async def list_aliases(ctx: Context) -> CallToolResult:
        return await answer(client_for(ctx), lambda c: c.aliases())

    @server.tool(
        description="Whether the gateway is serving, its version and uptime (GET /health).",
        annotations=READ_ONLY,
    )
    async def health(ctx: Context) -> CallToolResult:
        return await answer(client_for(ctx), lambda c: c.health())

    @server.tool(
        description="Usage of the caller (a token: its own; a brand credential: its "
        "brand's): totals, cost, latency, breakdowns by provider, model, alias, agent, kind "
        "and time bucket (GET /usage).",
        annotations=READ_ONLY,
    )
    async def get_usage(
        ctx: Context,
        since: Since = None,
        until: Until = None,
        bucket: Literal["day", "hour"] | None = None,
        compare: Annotated[
            bool | None, Field(description="add the preceding window of equal length")
        ] = None,
        kind: str | None = None,
    ) -> CallToolResult:
        query = {"from": since, "to": until, "bucket": bucket, "compare": compare, "kind": kind}
        return await answer(client_for(ctx), lambda c: c.usage(query))

    @server.tool(
        description="List the caller's request traces, newest first (GET /traces).",
        annotations=READ_ONLY,
    )
    async def list_traces(
        ctx: Context,
        agent: str | None = None,
        model: str | None = None,
        status: Annotated[str | None, Field(description="success, error or an HTTP status")] = None,
        since: Since = None,
        until: Until = None,
        min_latency_ms: float | None = None,
        min_cost_usd: float | None = None,
        kind: str | None = None,
        limit: Annotated[int | None, Field(description="1-500, default 50")] = None,
        offset: int | None = None,
    ) -> CallToolResult:
        query = _trace_filter(agent, model, status, since, until, min_latency_ms, min_cost_usd)
        query.update({"kind": kind, "limit": limit, "offset": offset})
        return await answer(client_for(ctx), lambda c: c.traces(query))

    @server.tool(
        description="One trace by id: its attempts, the span waterfall and, when content "
        "capture is on, the input and output messages (GET /traces/{id}).",
        annotations=READ_ONLY,
    )
    async def get_trace(
        ctx: Context,
        trace_id: Annotated[str, Field(description="the request's id (chat's trace_id)")],
    ) -> CallToolResult:
        return await answer(client_for(ctx), lambda c: c.trace(trace_id))

    @server.tool(
        description="Count, successes, errors, p95 latency and cost of the traces a filter "
        "matches (GET /traces/stats).",
        annotations=READ_ONLY,
    )
    async def trace_stats(
        ctx: Context,
        agent: str | None = None,
        model: str | None = None,
        status: str | None = None,
        since: Since = None,
        until: Until = None,
        min_latency_ms: float | None = None,
        min_cost_usd: float | None = None,
    ) -> CallToolResult:
        query = _trace_filter(agent, model, status, since, until, min_latency_ms, min_cost_usd)
        return await answer(client_for(ctx), lambda c: c.trace_stats(query))

    @server.tool(
        description="Per provider: whether the keys have room, and what to do if not "
        "(verdict, suggested keys, headroom) (GET /capacity).",
        annotations=READ_ONLY,
    )
    async def capacity(
        ctx: Context, days: int | None = None, key_limit: int | None = None
    ) -> CallToolResult:
        query = {"days": days, "key_limit": key_limit}
        return await answer(client_for(ctx), lambda c: c.capacity(query))

    @server.tool(
        description="Requested model to served model and provider: requests, errors, cost "
        "(GET /flow).",
        annotations=READ_ONLY,
    )
    async def flow(
        ctx: Context, days: int | None = None, limit: int | None = None
    ) -> CallToolResult:
        query = {"days": days, "limit": limit}
        return await answer(client_for(ctx), lambda c: c.flow(query))


def _trace_filter(
    agent: str | None,
    model: str | None,
    status: str | None,
    since: str | None,
    until: str | None,
    min_latency_ms: float | None,
    min_cost_usd: float | None,
) -> dict[str, Any]:
    return {
        "agent": agent,
        "model": model,
        "status": status,
        "from": since,
        "to": until,
        "min_latency_ms": min_latency_ms,
        "min_cost_usd": min_cost_usd,
    }

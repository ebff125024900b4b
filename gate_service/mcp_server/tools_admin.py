"""The MCP tools that write: saved prompts (the caller's brand) and platform alias
administration (the operator's). As in :mod:`.tools`, each is one REST route with the
caller's token; the alias tools are listed to everyone, and the route refuses anyone
but the operator (403 ``permission_denied``, as a tool error), so the rule lives in one
place.

Routes: ``POST/GET /prompts``, ``GET /prompts/search?q=``, ``GET/DELETE /prompts/{id}``;
``GET /admin/aliases``, ``GET /admin/aliases/{id}``, ``POST .../validate``,
``PUT .../chain``, ``POST .../rollback`` (docs/api.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import Field

from gate_service.mcp_server.results import answer
from gate_service.mcp_server.tools import READ_ONLY, ClientSource

_DESTRUCTIVE = ToolAnnotations(destructive_hint=True, open_world_hint=False)
_WRITES = ToolAnnotations(destructive_hint=False, open_world_hint=False)
AliasId = Annotated[str, Field(description="the alias id, e.g. spideriq/tool-use")]
Chain = Annotated[
    list[dict[str, Any]],
    Field(description="the proposed chain, in order: slots such as {provider, model}"),
]


def register(server: MCPServer, client_for: ClientSource) -> None:
    """Add the saved-prompt and alias-administration tools to ``server``."""
    _prompts(server, client_for)
    _alias_admin(server, client_for)


def _prompts(server: MCPServer, client_for: ClientSource) -> None:
    @server.tool(
        description="Save a prompt for the caller's brand: a system prompt with {{name}} "
        "variables, an optional model and sampling settings (POST /prompts). Use it in "
        'chat with prompt="prompt:<id>".',
        annotations=_WRITES,
    )
    async def create_prompt(
        ctx: Context,
        name: Annotated[str, Field(description="unique within the project")],
        system_prompt: str,
        model: str | None = None,
        description: str | None = None,
        project_id: Annotated[str | None, Field(description='default "default"')] = None,
        variables: list[str] | None = None,
        settings: Annotated[
            dict[str, Any] | None,
            Field(description="sampling settings: temperature, top_p, max_tokens, ..."),
        ] = None,
    ) -> CallToolResult:
        fields = {
            "name": name,
            "system_prompt": system_prompt,
            "model": model,
            "description": description,
            "project_id": project_id,
            "variables": variables,
            "settings": settings,
        }
        body = {k: v for k, v in fields.items() if v is not None}
        return await answer(client_for(ctx), lambda c: c.create_prompt(body))

    @server.tool(
        description="List the brand's saved prompts (GET /prompts).", annotations=READ_ONLY
    )
    async def list_prompts(
        ctx: Context,
        project_id: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> CallToolResult:
        query = {"project_id": project_id, "limit": limit, "offset": offset}
        return await answer(client_for(ctx), lambda c: c.prompts(query))

    @server.tool(
        description="Search the brand's saved prompts by name, description and system text "
        "(GET /prompts/search).",
        annotations=READ_ONLY,
    )
    async def search_prompts(ctx: Context, q: str) -> CallToolResult:
        return await answer(client_for(ctx), lambda c: c.search_prompts(q))

    @server.tool(
        description="One saved prompt, its latest version or version N (GET /prompts/{id}).",
        annotations=READ_ONLY,
    )
    async def get_prompt(
        ctx: Context, prompt_id: str, version: int | None = None
    ) -> CallToolResult:
        return await answer(client_for(ctx), lambda c: c.prompt(prompt_id, version))

    @server.tool(
        description="Delete a saved prompt (DELETE /prompts/{id}).", annotations=_DESTRUCTIVE
    )
    async def delete_prompt(ctx: Context, prompt_id: str) -> CallToolResult:
        async def call(client: Any) -> dict[str, Any]:
            await client.delete_prompt(prompt_id)
            return {"id": prompt_id, "deleted": True}

        return await answer(client_for(ctx), call)


def _alias_admin(server: MCPServer, client_for: ClientSource) -> None:
    @server.tool(
        description="Operator: every platform alias with its live chain and change history "
        "(GET /admin/aliases).",
        annotations=READ_ONLY,
    )
    async def admin_list_aliases(ctx: Context) -> CallToolResult:
        return await answer(client_for(ctx), lambda c: c.admin_aliases())

    @server.tool(
        description="Operator: one platform alias, its live chain and history "
        "(GET /admin/aliases/{id}).",
        annotations=READ_ONLY,
    )
    async def admin_show_alias(ctx: Context, alias_id: AliasId) -> CallToolResult:
        return await answer(client_for(ctx), lambda c: c.admin_alias(alias_id))

    @server.tool(
        description="Operator: dry-run a proposed chain for an alias, one verdict per slot "
        "and all_ok; nothing is billed or changed (POST /admin/aliases/{id}/validate).",
        annotations=READ_ONLY,
    )
    async def admin_validate_chain(ctx: Context, alias_id: AliasId, chain: Chain) -> CallToolResult:
        return await answer(client_for(ctx), lambda c: c.validate_chain(alias_id, {"chain": chain}))

    @server.tool(
        description="Operator: replace an alias's chain (a history row; every replica serves "
        "it within seconds) (PUT /admin/aliases/{id}/chain).",
        annotations=_DESTRUCTIVE,
    )
    async def admin_set_chain(
        ctx: Context,
        alias_id: AliasId,
        chain: Chain,
        reason: Annotated[str | None, Field(description="why, kept in the history")] = None,
    ) -> CallToolResult:
        body: dict[str, Any] = {"chain": chain}
        if reason is not None:
            body["reason"] = reason
        return await answer(client_for(ctx), lambda c: c.set_chain(alias_id, body))

    @server.tool(
        description="Operator: restore the chain of one history row of an alias "
        "(POST /admin/aliases/{id}/rollback).",
        annotations=_DESTRUCTIVE,
    )
    async def admin_rollback_alias(
        ctx: Context,
        alias_id: AliasId,
        history_id: Annotated[int, Field(description="the history row to restore")],
        reason: Annotated[str | None, Field(description="why, kept in the history")] = None,
    ) -> CallToolResult:
        return await answer(
            client_for(ctx), lambda c: c.rollback_alias(alias_id, history_id, reason)
        )

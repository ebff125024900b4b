"""How a tool's answer travels back over MCP: the route's JSON as structured content (and
as text, for clients that read only text), or the gateway's refusal as an MCP *tool
error* (``isError: true``) carrying our documented envelope, so an agent sees the same
``code`` and ``message`` the REST API answers (``insufficient_scope``, ``not_found``...)
and can branch on the code rather than on prose.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import orjson
from mcp_types import CallToolResult, ContentBlock, TextContent

from gate_service.client import ApiError, GateClient
from gate_service.client.rest import Json


def _text(body: Json) -> list[ContentBlock]:
    return [TextContent(type="text", text=orjson.dumps(body).decode())]


def ok(body: Json) -> CallToolResult:
    return CallToolResult(content=_text(body), structured_content=body)


def refused(error: ApiError) -> CallToolResult:
    """The refusal: ``{"status": 403, "error": {type, code, message, param}}``."""
    body = error.as_json()
    return CallToolResult(content=_text(body), structured_content=body, is_error=True)


def unreachable(error: httpx.HTTPError) -> CallToolResult:
    """The gateway could not be reached at all (stdio mode, wrong ``--url``): the same
    envelope, code ``service_unavailable``; the transport's message names no secret."""
    envelope = {
        "error": {
            "type": "api_error",
            "code": "service_unavailable",
            "message": f"The gateway could not be reached: {type(error).__name__}.",
            "param": None,
        }
    }
    return refused(ApiError(503, envelope))


async def answer(
    client: GateClient, call: Callable[[GateClient], Awaitable[Json]]
) -> CallToolResult:
    """Run one REST call for a tool and shape its result either way."""
    try:
        return ok(await call(client))
    except ApiError as error:
        return refused(error)
    except httpx.HTTPError as error:
        return unreachable(error)

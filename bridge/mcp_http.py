"""``/mcp``: the MCP server over Streamable HTTP, on the bridge (docs/mcp.md).

- **Authentication**: every MCP request needs ``Authorization: Bearer <token>`` (an agent
  token, a brand's client credential or the operator token); without one it is refused
  here with 401 ``missing_api_key`` in the documented envelope, before any MCP work. The
  token itself is judged by the routes each tool calls, with exactly the API's rules.
- **Tools call the bridge in-process**: each tool is a REST call to this same app through
  ``httpx.ASGITransport`` (no loopback socket, no port to know), with the MCP request's
  own Authorization header, so scopes, tenancy, limits and the ledger are the API's.
- **Stateless** (``stateless_http``): no MCP session lives in this process, so any
  replica behind a balancer can answer any request, as for the REST API; answers are
  plain JSON (``json_response``) since no tool streams.
- **No DNS-rebinding check of the Host header**: the SDK's default would refuse every
  host but localhost. A rebinding page cannot send our bearer token, which every request
  needs, and cross-origin browser calls are the CORS middleware's to allow.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable

import httpx
from mcp.server.mcpserver import Context
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from bridge.responses import error_response, request_id
from gate_service.auth.tokens import missing_api_key
from gate_service.client import GateClient
from gate_service.client.rest import DEFAULT_TIMEOUT_S
from gate_service.mcp_server.server import build_server

PATH = "/mcp"
METHODS = ["GET", "POST", "DELETE"]
# The in-process calls' base URL: its host is never resolved (the transport is the app).
_INTERNAL_BASE = "http://spidergate.internal/api/gate/v1"
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +(\S+) *")


def bearer(header: str | None) -> str | None:
    """The token of a ``Bearer`` Authorization header, else None."""
    match = _BEARER.fullmatch(header or "")
    return match.group(1) if match else None


class McpEndpoint:
    """The ASGI app at ``/mcp``; :meth:`running` must wrap the bridge's lifespan (it runs
    the SDK's session manager and holds the in-process client)."""

    def __init__(self, bridge: Callable[[], ASGIApp]) -> None:
        self._bridge = bridge
        self._http: httpx.AsyncClient | None = None
        self._manager: StreamableHTTPSessionManager | None = None
        self.server = build_server(self._client_for)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        # A session manager runs once: each lifespan of the app gets a new one (the SDK's
        # own Starlette app around it is not used; this endpoint is one route of the bridge).
        self.server.streamable_http_app(
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        manager = self.server.session_manager
        transport = httpx.ASGITransport(app=self._bridge())
        async with (
            httpx.AsyncClient(transport=transport, timeout=DEFAULT_TIMEOUT_S) as http,
            manager.run(),
        ):
            self._http, self._manager = http, manager
            try:
                yield
            finally:
                self._http = self._manager = None

    def _client_for(self, ctx: Context) -> GateClient:
        assert self._http is not None, "the bridge's lifespan runs the MCP endpoint"
        request = ctx.request_context.request
        header = request.headers.get("authorization") if isinstance(request, Request) else None
        return GateClient(self._http, _INTERNAL_BASE, bearer(header))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and bearer(Headers(scope=scope).get("authorization")) is None:
            request = Request(scope)
            await error_response(missing_api_key(), request_id(request), PATH)(scope, receive, send)
            return
        if self._manager is None:
            raise RuntimeError("the MCP endpoint serves only while the bridge's lifespan runs")
        await self._manager.handle_request(scope, receive, send)

"""The MCP server: one ``MCPServer`` with every tool, built for a way of finding the
caller's client (:data:`~gate_service.mcp_server.tools.ClientSource`), and its stdio
runner.

Over stdio the process is the agent's own (Claude Desktop, Cursor and the SDKs spawn it),
so it holds one token (``--token`` / ``SPIDERGATE_TOKEN``) and talks to a gateway over
the network (``--url``). Over HTTP (:mod:`bridge.mcp_http`) each MCP request brings its
own bearer token. Either way the tools are the same functions.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from mcp.server.mcpserver import MCPServer

import gate_service
from gate_service.client import GateClient
from gate_service.mcp_server import tools, tools_admin
from gate_service.mcp_server.tools import ClientSource

INSTRUCTIONS = (
    "SpiderGate is an LLM gateway. Use `chat` to ask a model through an alias "
    "(list_aliases, list_models show what exists); get_usage, list_traces, get_trace, "
    "trace_stats, capacity and flow report on your own traffic; the prompt tools keep "
    "reusable system prompts; admin_* tools are for the gateway's operator. A refusal is "
    "a tool error whose JSON carries the API's error envelope: branch on error.code."
)


@contextlib.contextmanager
def _logging_untouched() -> Iterator[None]:
    """The SDK's ``MCPServer()`` calls ``logging.basicConfig`` (a rich handler on the root
    logger) when nothing configured logging yet: the bridge builds one per app, and the
    process's logging is ``serve``'s to set, so the root logger is put back as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def build_server(client_for: ClientSource) -> MCPServer:
    """Every tool, answering through the client ``client_for`` gives for a request."""
    with _logging_untouched():
        server: MCPServer = MCPServer(
            "spidergate",
            title="SpiderGate",
            instructions=INSTRUCTIONS,
            version=gate_service.__version__,
            log_level="WARNING",
        )
    tools.register(server, client_for)
    tools_admin.register(server, client_for)
    return server


async def serve_stdio(url: str, token: str) -> None:
    """Serve MCP on this process's stdin/stdout until the client closes it."""
    async with GateClient.connect(url, token) as client:
        await build_server(lambda ctx: client).run_stdio_async()

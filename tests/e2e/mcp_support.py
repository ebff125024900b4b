"""Connecting the official ``mcp`` SDK's client to the gateway's MCP server, over both
transports: Streamable HTTP at the bridge's ``/mcp`` with a bearer token, or stdio by
spawning ``spidergate mcp`` (a real subprocess, with the token in its environment, as
Claude Desktop or Cursor would start it)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from tests.stack import Stack

REPO = Path(__file__).resolve().parents[2]
TRANSPORTS = ("http", "stdio")


def mcp_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.http_port}/mcp"


def stdio_params(stack: Stack, token: str | None) -> StdioServerParameters:
    """``spidergate mcp`` against the stack, configured by environment only."""
    env = {"SPIDERGATE_URL": f"http://127.0.0.1:{stack.http_port}", "PYTHONPATH": str(REPO)}
    if token is not None:
        env["SPIDERGATE_TOKEN"] = token
    if "VIRTUAL_ENV" in os.environ:
        env["VIRTUAL_ENV"] = os.environ["VIRTUAL_ENV"]
    return StdioServerParameters(
        command=sys.executable, args=["-m", "gate_service.cli.main", "mcp"], env=env, cwd=REPO
    )


@contextlib.asynccontextmanager
async def connect(stack: Stack, transport: str, token: str | None) -> AsyncIterator[Client]:
    """An initialised MCP client session over ``transport`` with ``token``."""
    if transport == "stdio":
        async with Client(stdio_params(stack, token), read_timeout_seconds=60) as client:
            yield client
        return
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        Client(streamable_http_client(mcp_url(stack), http_client=http)) as client,
    ):
        yield client


def body(result: CallToolResult) -> dict[str, Any]:
    """A tool's JSON answer (or refusal envelope)."""
    assert isinstance(result.structured_content, dict), result
    return result.structured_content


def answered(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.structured_content
    return body(result)


def refused(result: CallToolResult) -> dict[str, Any]:
    """The refusal's error object; the text block carries the same envelope."""
    assert result.is_error, result.structured_content
    envelope = body(result)
    assert set(envelope["error"]) >= {"type", "code", "message"}
    return dict(envelope["error"], status=envelope["status"])

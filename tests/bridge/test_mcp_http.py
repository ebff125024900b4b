"""The MCP endpoint's bearer check (the endpoint itself, over sockets with the official
SDK: tests/e2e/test_mcp.py)."""

from __future__ import annotations

from bridge.mcp_http import bearer


def test_bearer() -> None:
    assert bearer("Bearer abc") == "abc"
    assert bearer("bearer  abc ") == "abc"
    for header in (None, "", "Bearer", "Bearer ", "Basic abc", "Bearer a b"):
        assert bearer(header) is None

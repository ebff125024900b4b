"""The MCP endpoint's bearer check (the endpoint itself, over sockets with the official
SDK: tests/e2e/test_mcp.py)."""

from __future__ import annotations

from starlette.testclient import TestClient

from bridge.app import create_app
from bridge.mcp_http import bearer


def test_bearer() -> None:
    assert bearer("Bearer abc") == "abc"
    assert bearer("bearer  abc ") == "abc"
    for header in (None, "", "Bearer", "Bearer ", "Basic abc", "Bearer a b"):
        assert bearer(header) is None


def test_the_endpoint_serves_across_lifespans() -> None:
    # The SDK's session manager runs once; an app whose lifespan runs twice (a test
    # client opened twice, a server restarted in-process) gets a new one each time.
    app = create_app("127.0.0.1:1")
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    headers = {"Authorization": "Bearer x", "Accept": "application/json, text/event-stream"}
    for _ in range(2):
        with TestClient(app) as client:
            answer = client.post("/mcp", json=init, headers=headers)
            assert answer.status_code == 200, answer.text
            assert answer.json()["result"]["serverInfo"]["name"] == "spidergate"

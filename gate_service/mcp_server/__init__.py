"""SpiderGate's MCP server (the official ``mcp`` SDK): the gateway's REST API as MCP
tools, over stdio (``spidergate mcp``) or Streamable HTTP (``/mcp`` on the bridge,
:mod:`bridge.mcp_http`). See docs/mcp.md."""

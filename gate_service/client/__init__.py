"""A client of a running gateway's REST API (:mod:`gate_service.client.rest`), shared by
the MCP server and the human client CLI."""

from gate_service.client.rest import DEFAULT_URL, ApiError, GateClient, api_base

__all__ = ["DEFAULT_URL", "ApiError", "GateClient", "api_base"]

"""Asking a running core over gRPC, for what only a live process knows (key health).

Goes through the bridge's client and the vault converters, so the CLI itself never
touches generated code.
"""

from __future__ import annotations

from typing import Any

import grpc

from bridge.core_client import CoreClient
from gate_service.proto_convert.errors import from_rpc_error
from gate_service.proto_convert.vault import health_request_from_query, health_to_json

TIMEOUT_S = 10.0


async def fetch_health(target: str, token: str, provider: str | None) -> dict[str, Any]:
    """The core's health summary as the REST route shows it; a GateError on failure."""
    client = CoreClient(target)
    try:
        request = health_request_from_query({"provider": provider} if provider else {})
        reply = await client.vault.GetHealthSummary(
            request, metadata=(("authorization", f"Bearer {token}"),), timeout=TIMEOUT_S
        )
    except grpc.aio.AioRpcError as error:
        raise from_rpc_error(error) from None
    finally:
        await client.close()
    return health_to_json(reply)

"""A stand-in core for the bridge's client tests: answers ``GetHealth`` with its own name,
takes 30 s over ``ListAliases``, fails ``GetModel`` the way a real core reports an upstream
outage (UNAVAILABLE *with* an ErrorDetail), and streams two messages. It serves
``grpc.health.v1`` as a real core does (``""`` SERVING), so a test can turn it NOT_SERVING.

``python -m tests.bridge.fake_core NAME PORT`` runs one in its own process (to be killed).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from gate_service.errors import GateError
from gate_service.proto_convert.errors import to_status
from spidergate.v1 import catalog_pb2, catalog_pb2_grpc, stream_pb2, stream_pb2_grpc


class _Catalog(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(self, name: str) -> None:
        self.name = name
        self.calls = 0
        self.health = health.aio.HealthServicer()

    async def GetHealth(
        self, request: catalog_pb2.GetHealthRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.GetHealthResponse:
        self.calls += 1
        return catalog_pb2.GetHealthResponse(status=self.name)

    async def ListAliases(
        self, request: catalog_pb2.ListAliasesRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.ListAliasesResponse:
        self.calls += 1
        await asyncio.sleep(30)
        return catalog_pb2.ListAliasesResponse()

    async def GetModel(
        self, request: catalog_pb2.GetModelRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.GetModelResponse:
        self.calls += 1
        status = to_status(GateError("all_providers_failed", "every upstream failed"))
        await context.abort(status.code, status.details, status.trailing_metadata)
        raise AssertionError("abort returned")

    # Not faked: answered as the generated base answers them (it is abstract in the stubs).
    async def ListModels(
        self, request: catalog_pb2.ListModelsRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.ListModelsResponse:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not implemented!")
        raise AssertionError("abort returned")

    async def ListProviders(
        self, request: catalog_pb2.ListProvidersRequest, context: grpc.aio.ServicerContext
    ) -> catalog_pb2.ListProvidersResponse:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not implemented!")
        raise AssertionError("abort returned")


class _Stream(stream_pb2_grpc.StreamServiceServicer):
    def __init__(self, catalog: _Catalog) -> None:
        self._catalog = catalog

    async def StreamChatCompletion(
        self, request: stream_pb2.StreamChatCompletionRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[stream_pb2.StreamChatCompletionResponse]:
        self._catalog.calls += 1
        for i in range(2):
            yield stream_pb2.StreamChatCompletionResponse(headers={"core": self._catalog.name})
            if i == 0:
                await asyncio.sleep(0.05)


async def start(
    name: str, port: int = 0, *, host: str = "127.0.0.1", options: Sequence[tuple[str, Any]] = ()
) -> tuple[grpc.aio.Server, int, _Catalog]:
    """A running fake core: (server, bound port, its catalog servicer with ``calls`` and
    ``health``, the health servicer)."""
    server = grpc.aio.server(options=list(options))
    catalog = _Catalog(name)
    health_pb2_grpc.add_HealthServicer_to_server(catalog.health, server)
    await catalog.health.set("", health_pb2.HealthCheckResponse.SERVING)
    catalog_pb2_grpc.add_CatalogServiceServicer_to_server(catalog, server)
    stream_pb2_grpc.add_StreamServiceServicer_to_server(_Stream(catalog), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    return server, bound, catalog


async def _main(name: str, port: int) -> None:
    server, _, _ = await start(name, port)
    print("ready", flush=True)
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], int(sys.argv[2])))

"""The gRPC server factory: every service, health checking and reflection, one port.

``build_server`` returns the server and the port it bound (tests bind port 0). Graceful
stop is ``await server.stop(grace)``: new calls are refused, calls in flight (streams
included) get ``grace`` seconds to finish.
"""

from __future__ import annotations

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from gate_service.core import Core
from gate_service.servicers.auth import AuthServicer
from gate_service.servicers.catalog import CatalogServicer
from gate_service.servicers.chat import ChatServicer, StreamServicer
from gate_service.servicers.shedding import ConcurrencyLimit
from gate_service.servicers.usage import UsageServicer
from gate_service.servicers.vault import VaultServicer
from spidergate.v1 import (
    auth_pb2,
    auth_pb2_grpc,
    catalog_pb2,
    catalog_pb2_grpc,
    chat_pb2,
    chat_pb2_grpc,
    stream_pb2,
    stream_pb2_grpc,
    usage_pb2,
    usage_pb2_grpc,
    vault_pb2,
    vault_pb2_grpc,
)

SERVICE_NAMES = (
    chat_pb2.DESCRIPTOR.services_by_name["ChatService"].full_name,
    stream_pb2.DESCRIPTOR.services_by_name["StreamService"].full_name,
    catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name,
    auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name,
    vault_pb2.DESCRIPTOR.services_by_name["VaultService"].full_name,
    usage_pb2.DESCRIPTOR.services_by_name["UsageService"].full_name,
)

_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
]


def build_server(
    core: Core, host: str, port: int
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    """A ready-to-start server with every service registered, and its bound port."""
    # Load shedding: at most max_concurrent_requests calls at once (servicers/shedding.py).
    shedding = ConcurrencyLimit(core.settings.max_concurrent_requests)
    server = grpc.aio.server(options=_OPTIONS, interceptors=[shedding])
    chat_pb2_grpc.add_ChatServiceServicer_to_server(ChatServicer(core), server)
    stream_pb2_grpc.add_StreamServiceServicer_to_server(StreamServicer(core), server)
    catalog_pb2_grpc.add_CatalogServiceServicer_to_server(CatalogServicer(core), server)
    auth_pb2_grpc.add_AuthServiceServicer_to_server(AuthServicer(core), server)
    vault_pb2_grpc.add_VaultServiceServicer_to_server(VaultServicer(core), server)
    usage_pb2_grpc.add_UsageServiceServicer_to_server(UsageServicer(core), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"could not bind the gRPC port {host}:{port}")
    return server, bound, health_servicer


async def mark_serving(health_servicer: health.aio.HealthServicer, serving: bool) -> None:
    """Flip every service's health status (NOT_SERVING during shutdown)."""
    status = (
        health_pb2.HealthCheckResponse.SERVING
        if serving
        else health_pb2.HealthCheckResponse.NOT_SERVING
    )
    for name in ("", *SERVICE_NAMES):
        await health_servicer.set(name, status)

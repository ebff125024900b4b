"""The gRPC server factory: every service, health checking and reflection, one port.

The services, and so the names reflection and health checking report, come from the one
table in :mod:`gate_service.services`.

``build_server`` returns the server and the port it bound (tests bind port 0). Graceful
stop is ``await server.stop(grace)``: new calls are refused, calls in flight (streams
included) get ``grace`` seconds to finish.
"""

from __future__ import annotations

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from gate_service.core import Core
from gate_service.servicers.shedding import ConcurrencyLimit
from gate_service.services import SERVICE_NAMES, SERVICES

SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    # A client connection is asked to move on (GOAWAY; calls in flight finish, as there is
    # no grace bound) every 5 minutes, give or take gRPC's 10% jitter. A client balancing
    # over a dns:/// name (a bridge over a Kubernetes headless Service) re-resolves the
    # name when a connection goes, so cores added since are taken into the turn; gRPC's
    # DNS resolver does not poll on its own. Calls racing the GOAWAY never reached the
    # application and are retried transparently by the client.
    ("grpc.max_connection_age_ms", 300_000),
]


def build_server(
    core: Core, host: str, port: int
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    """A ready-to-start server with every service registered, and its bound port."""
    # Load shedding: at most max_concurrent_requests calls at once (servicers/shedding.py).
    shedding = ConcurrencyLimit(core.settings.max_concurrent_requests)
    server = grpc.aio.server(options=SERVER_OPTIONS, interceptors=[shedding])
    for service in SERVICES:  # gate_service/services.py: the one table
        service.register(service.servicer(core), server)
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

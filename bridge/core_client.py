"""The bridge's gRPC client: plain stubs over one channel to one core or several.

The only module of the bridge that touches generated code besides the route handlers'
converters. ``CoreClient(target)`` takes any gRPC target (``bridge/targets.py``: a
``host:port``, ``dns:///name:port``, ``ipv4:a:p,b:p``, or the older ``a:p,b:p`` list) and
makes ONE channel whose service config asks gRPC itself to spread the calls:

- ``round_robin``: every address the target resolves to gets a connection; calls go in
  turn to the connections that are READY. A core that is down (connection refused or
  lost) is out of the turn until it accepts again; gRPC reconnects by itself.
- ``healthCheckConfig``: each connection also watches the core's ``grpc.health.v1``
  status for the service name ``""`` (the whole server: ``gate_service.server.
  mark_serving`` sets it with every service's name). A core that is up but NOT_SERVING
  (draining after SIGTERM) is out of the turn too. A server without the health service
  is taken as serving (gRPC's A17).

**A call that may have reached a core is never retried.** No ``retryPolicy`` is
configured (and a service config from DNS TXT records is refused:
``grpc.service_config_disable_resolution``), so gRPC retries only transparently (its
A6 design): a call that never left the client, or that a core's gRPC library refused
before the application saw it (a stream refused with REFUSED_STREAM, a GOAWAY racing the
call). Neither ran a servicer, so neither can have been billed. Everything else, an
answer from a core or a connection lost while the call was out, reaches the caller as
it came (a lost core: UNAVAILABLE, the bridge's 503).

Route handlers see the same ``CoreStubs`` attributes whatever the target; the stubs come
from the one table of services, :data:`gate_service.services.SERVICES`.
"""

from __future__ import annotations

import json

import grpc

from bridge.targets import core_target
from gate_service.services import SERVICES, CoreStubs

# The health service name the client watches: "" is the whole server.
HEALTH_SERVICE = ""

SERVICE_CONFIG = json.dumps(
    {
        "loadBalancingConfig": [{"round_robin": {}}],
        "healthCheckConfig": {"serviceName": HEALTH_SERVICE},
        # No methodConfig, so no retryPolicy: only gRPC's transparent retries happen.
    }
)

_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_permit_without_calls", 1),
    # Reconnect quickly when a core restarts.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2_000),
    ("grpc.service_config", SERVICE_CONFIG),
    # Only the config above: a DNS TXT record must not bring in a retry policy.
    ("grpc.service_config_disable_resolution", 1),
]


class CoreClient(CoreStubs):
    """Stubs for the core's services (created inside the event loop): one attribute per
    service of the table, typed by ``CoreStubs``, over the one ``channel``.

    ``target`` is what the user gave; ``grpc_target`` what the channel was made with.
    A malformed target raises ValueError here, before any call.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.grpc_target = core_target(target)
        self.channel = grpc.aio.insecure_channel(self.grpc_target, options=_OPTIONS)
        for service in SERVICES:
            setattr(self, service.attribute, service.stub(self.channel))

    async def close(self) -> None:
        await self.channel.close()

"""The bridge's gRPC client: stubs over channels to one core or several, errors read back.

The only module of the bridge that touches generated code besides the route handlers'
converters. ``CoreClient("host:port")`` holds plain stubs over one channel;
``CoreClient("a:1,b:2")`` holds one channel per core and stand-ins with the same methods
that spread calls over them (see :mod:`bridge.balancer` for the choice and retry rules).
Route handlers cannot tell the two apart. Both are built from the one table of services,
:data:`gate_service.services.SERVICES`, and typed by its ``CoreStubs``.
"""

from __future__ import annotations

from typing import Any

import grpc

from bridge.balancer import Core, Pool, Service
from gate_service.services import SERVICES, CoreStubs

_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_permit_without_calls", 1),
    # Reconnect quickly when a core restarts.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2_000),
]


def parse_targets(target: str) -> list[str]:
    """``"a:1, b:2"`` -> ``["a:1", "b:2"]``; ValueError when empty or repeated."""
    targets = [t.strip() for t in target.split(",") if t.strip()]
    if not targets:
        raise ValueError("no core address given")
    if len(set(targets)) != len(targets):
        raise ValueError(f"a core address is repeated in '{target}'")
    return targets


def _core(target: str) -> Core:
    channel = grpc.aio.insecure_channel(target, options=_OPTIONS)
    return Core(target, channel, {s.attribute: s.stub(channel) for s in SERVICES})


class CoreClient(CoreStubs):
    """Stubs for the core's services (created inside the event loop): one attribute per
    service of the table, typed by ``CoreStubs``.

    ``target`` is one ``host:port`` or several, comma-separated. ``channel`` is the first
    core's channel, ``channels`` all of them.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        cores = [_core(t) for t in parse_targets(target)]
        self.channels = [core.channel for core in cores]
        self.channel = self.channels[0]
        if len(cores) == 1:
            services: dict[str, Any] = cores[0].stubs
        else:
            pool = Pool(cores)
            services = {s.attribute: Service(pool, s.attribute, s.methods) for s in SERVICES}
        for name, service in services.items():
            setattr(self, name, service)

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()

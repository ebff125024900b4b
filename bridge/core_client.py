"""The bridge's gRPC client: stubs over channels to one core or several, errors read back.

The only module of the bridge that touches generated code besides the route handlers'
converters. ``CoreClient("host:port")`` holds plain stubs over one channel;
``CoreClient("a:1,b:2")`` holds one channel per core and stand-ins with the same methods
that spread calls over them (see :mod:`bridge.balancer` for the choice and retry rules).
Route handlers cannot tell the two apart.
"""

from __future__ import annotations

from typing import Any

import grpc

from bridge.balancer import Core, Pool, Service
from spidergate.v1 import (
    auth_pb2_grpc,
    catalog_pb2_grpc,
    chat_pb2_grpc,
    stream_pb2_grpc,
    usage_pb2_grpc,
    vault_pb2_grpc,
)

_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_permit_without_calls", 1),
    # Reconnect quickly when a core restarts.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2_000),
]

# Attribute name -> stub class, for every service the bridge calls.
_SERVICES: dict[str, Any] = {
    "chat": chat_pb2_grpc.ChatServiceStub,
    "stream": stream_pb2_grpc.StreamServiceStub,
    "catalog": catalog_pb2_grpc.CatalogServiceStub,
    "vault": vault_pb2_grpc.VaultServiceStub,
    "usage": usage_pb2_grpc.UsageServiceStub,
    "auth": auth_pb2_grpc.AuthServiceStub,
}


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
    return Core(target, channel, {name: stub(channel) for name, stub in _SERVICES.items()})


class CoreClient:
    """Stubs for the core's services (created inside the event loop).

    ``target`` is one ``host:port`` or several, comma-separated. ``channel`` is the first
    core's channel, ``channels`` all of them.
    """

    chat: Any
    stream: Any
    catalog: Any
    vault: Any
    usage: Any
    auth: Any

    def __init__(self, target: str) -> None:
        self.target = target
        cores = [_core(t) for t in parse_targets(target)]
        self.channels = [core.channel for core in cores]
        self.channel = self.channels[0]
        if len(cores) == 1:
            services: dict[str, Any] = cores[0].stubs
        else:
            pool = Pool(cores)
            services = {name: Service(pool, name) for name in _SERVICES}
        for name, service in services.items():
            setattr(self, name, service)

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()

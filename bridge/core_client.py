"""The bridge's gRPC client: the stubs over one channel to the core, errors read back.

The only module of the bridge that touches generated code besides the route handlers'
converters.
"""

from __future__ import annotations

import grpc

from spidergate.v1 import catalog_pb2_grpc, chat_pb2_grpc, stream_pb2_grpc, vault_pb2_grpc

_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_permit_without_calls", 1),
    # Reconnect quickly when a core restarts.
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 2_000),
]


class CoreClient:
    """Stubs for the core's services over one channel (created inside the event loop)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.channel = grpc.aio.insecure_channel(target, options=_OPTIONS)
        self.chat = chat_pb2_grpc.ChatServiceStub(self.channel)
        self.stream = stream_pb2_grpc.StreamServiceStub(self.channel)
        self.catalog = catalog_pb2_grpc.CatalogServiceStub(self.channel)
        self.vault = vault_pb2_grpc.VaultServiceStub(self.channel)

    async def close(self) -> None:
        await self.channel.close()

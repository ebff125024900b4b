"""One channel to the session's real gRPC core per module, and a stub per service."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from spidergate.v1 import (
    auth_pb2_grpc,
    catalog_pb2_grpc,
    chat_pb2_grpc,
    stream_pb2_grpc,
)
from tests.e2e.grpc_api.support import (
    TIMEOUT,
)
from tests.stack import Stack

# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def channel(stack: Stack) -> Iterator[grpc.Channel]:
    ch = grpc.insecure_channel(stack.grpc_target)
    grpc.channel_ready_future(ch).result(timeout=TIMEOUT)
    yield ch
    ch.close()


@pytest.fixture(scope="module")
def chat(channel: grpc.Channel) -> chat_pb2_grpc.ChatServiceStub:
    return chat_pb2_grpc.ChatServiceStub(channel)


@pytest.fixture(scope="module")
def stream(channel: grpc.Channel) -> stream_pb2_grpc.StreamServiceStub:
    return stream_pb2_grpc.StreamServiceStub(channel)


@pytest.fixture(scope="module")
def catalog(channel: grpc.Channel) -> catalog_pb2_grpc.CatalogServiceStub:
    return catalog_pb2_grpc.CatalogServiceStub(channel)


@pytest.fixture(scope="module")
def auth(channel: grpc.Channel) -> auth_pb2_grpc.AuthServiceStub:
    return auth_pb2_grpc.AuthServiceStub(channel)

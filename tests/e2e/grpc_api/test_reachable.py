"""Every RPC of every service in the one table (gate_service/services.py) is served, over
the network and in-process, and both answer alike.

Each method is called with an empty request and no token: the answer must be a reply or
a well-formed error from our servicer (``ErrorDetail`` + ``ErrorInfo``, e.g.
UNAUTHENTICATED), never UNIMPLEMENTED, and the in-process channel must give the same
outcome as the network server. A service missing from the server, a method missing from
the in-process stubs or a servicer method left to the generated base all fail here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor

from gate_service.servicers.inprocess import LocalCoreClient
from gate_service.services import SERVICES, ServiceDef
from tests.e2e.grpc_api.support import TIMEOUT, rich_error
from tests.stack import Stack

Outcome = tuple[str, str]  # ("OK", "") or (status code name, ErrorDetail code)

RPCS = [(service, method) for service in SERVICES for method in service.methods]


def _request(method: MethodDescriptor) -> Any:
    return message_factory.GetMessageClass(method.input_type)()


def _failed(exc: grpc.RpcError) -> Outcome:
    code: grpc.StatusCode = exc.code()
    assert code != grpc.StatusCode.UNIMPLEMENTED, exc
    detail, _ = rich_error(exc)  # our servicer's error, not grpc's own
    return code.name, detail.code


def _over_the_network(
    channel: grpc.Channel, service: ServiceDef[Any], method: MethodDescriptor
) -> Outcome:
    # The table types ``stub`` for the core's aio channel; the generated stub classes take
    # a sync channel too (their ``__new__`` is overloaded for both).
    stub = cast("Callable[[grpc.Channel], Any]", service.stub)
    call = getattr(stub(channel), method.name)
    try:
        if method.server_streaming:
            replies = call(_request(method), timeout=TIMEOUT)
            try:
                next(replies, None)
            finally:
                replies.cancel()
        elif method.client_streaming:
            call(iter([_request(method)]), timeout=TIMEOUT)  # an upload of one message
        else:
            call(_request(method), timeout=TIMEOUT)
    except grpc.RpcError as exc:
        return _failed(exc)
    return "OK", ""


async def _one(message: Any) -> AsyncIterator[Any]:
    """An upload (a client stream) of one message."""
    yield message


async def _in_process(
    client: LocalCoreClient, service: ServiceDef[Any], method: MethodDescriptor
) -> Outcome:
    call = getattr(getattr(client, service.attribute), method.name)
    try:
        if method.server_streaming:
            replies = call(_request(method))
            try:
                await replies.read()
            finally:
                replies.cancel()
        elif method.client_streaming:
            await call(_one(_request(method)))
        else:
            await call(_request(method))
    except grpc.aio.AioRpcError as exc:
        return _failed(exc)
    return "OK", ""


@pytest.mark.parametrize(
    ("service", "method"), RPCS, ids=[f"{s.descriptor.name}.{m.name}" for s, m in RPCS]
)
def test_every_rpc_answers_over_the_network_and_in_process(
    stack: Stack, channel: grpc.Channel, service: ServiceDef[Any], method: MethodDescriptor
) -> None:
    network = _over_the_network(channel, service, method)
    local = stack.run(_in_process(LocalCoreClient(stack.core), service, method))
    assert local == network

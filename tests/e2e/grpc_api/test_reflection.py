"""Server reflection (enough to call the core without stubs) and standard health checking."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from tests.e2e.grpc_api.support import (
    SPIDERGATE_SERVICES,
    TIMEOUT,
    bearer,
)

# --------------------------------------------------------------------- reflection, health

# Two third-party stubs are wrong, so their calls carry a ``type: ignore``:
# types-grpcio-reflection declares ``ServerReflectionStub.ServerReflectionInfo`` as
# ``Incomplete`` imported from ``binascii`` (an exception class, so "not callable"), and
# types-grpcio-health-checking declares ``HealthStub`` without its ``Check`` and ``Watch``.


def test_reflection_lists_every_service(channel: grpc.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    replies = list(
        stub.ServerReflectionInfo(  # type: ignore[operator]  # wrong stub, see above
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=TIMEOUT
        )
    )
    assert len(replies) == 1
    names = {s.name for s in replies[0].list_services_response.service}
    assert set(SPIDERGATE_SERVICES) <= names
    assert "grpc.health.v1.Health" in names
    assert "grpc.reflection.v1alpha.ServerReflection" in names


def test_reflection_resolves_a_file_by_symbol(channel: grpc.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    (reply,) = stub.ServerReflectionInfo(  # type: ignore[operator]  # wrong stub, see above
        iter(
            [reflection_pb2.ServerReflectionRequest(file_containing_symbol=SPIDERGATE_SERVICES[0])]
        ),
        timeout=TIMEOUT,
    )
    assert reply.WhichOneof("message_response") == "file_descriptor_response"
    files = {}
    for raw in reply.file_descriptor_response.file_descriptor_proto:
        fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
        files[fd.name] = fd
    chat_file = files["spidergate/v1/chat.proto"]
    assert chat_file.package == "spidergate.v1"
    assert "spidergate/v1/common.proto" in chat_file.dependency
    (service,) = chat_file.service
    assert service.name == "ChatService"
    methods = {m.name: m for m in service.method}
    assert set(methods) == {"CreateChatCompletion", "CountTokens"}
    method = methods["CreateChatCompletion"]
    assert method.input_type == ".spidergate.v1.CreateChatCompletionRequest"
    assert method.output_type == ".spidergate.v1.CreateChatCompletionResponse"

    with_missing = stub.ServerReflectionInfo(  # type: ignore[operator]  # wrong stub, see above
        iter([reflection_pb2.ServerReflectionRequest(file_containing_symbol="no.such.Thing")]),
        timeout=TIMEOUT,
    )
    (missing,) = with_missing
    assert missing.WhichOneof("message_response") == "error_response"
    assert missing.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


def test_reflection_is_enough_to_call_without_stubs(channel: grpc.Channel, token: str) -> None:
    """A generic client (grpcurl-like) builds the types from reflection alone and calls."""
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    service = pool.FindServiceByName("spidergate.v1.ChatService")
    method = service.methods_by_name["CreateChatCompletion"]
    request_cls = message_factory.GetMessageClass(method.input_type)
    response_cls = message_factory.GetMessageClass(method.output_type)
    # Classes built at run time from reflection: their fields are unknown to mypy.
    request: Any = request_cls()
    request.request.model = "spideriq/fast"
    msg = request.request.messages.add()
    msg.role = "user"
    msg.text = "hello via reflection"
    call = channel.unary_unary(
        f"/{service.full_name}/{method.name}",
        request_serializer=request_cls.SerializeToString,
        response_deserializer=response_cls.FromString,
    )
    reply: Any = call(request, metadata=bearer(token), timeout=TIMEOUT)
    assert reply.completion.model == "llama-3.1-8b-instant"
    assert reply.completion.choices[0].message.content


def test_health_checking(channel: grpc.Channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    serving = health_pb2.HealthCheckResponse.SERVING
    for name in ("", *SPIDERGATE_SERVICES):
        reply = stub.Check(  # type: ignore[attr-defined]  # wrong stub, see above
            health_pb2.HealthCheckRequest(service=name), timeout=TIMEOUT
        )
        assert reply.status == serving, name
    with pytest.raises(grpc.RpcError) as err:
        stub.Check(  # type: ignore[attr-defined]  # wrong stub, see above
            health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=TIMEOUT
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND

    watch = stub.Watch(  # type: ignore[attr-defined]  # wrong stub, see above
        health_pb2.HealthCheckRequest(service="spidergate.v1.ChatService"), timeout=TIMEOUT
    )
    try:
        assert next(watch).status == serving
    finally:
        watch.cancel()

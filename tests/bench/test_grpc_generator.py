"""The gRPC modes against the real gateway (the session's stack: core, gRPC server and
mock provider): the request is the JSON mode's, the generator's numbers add up, and an
error status is counted by name, never as a success."""

from __future__ import annotations

import pytest
from grpc_load import STREAM_METHOD, GrpcTarget
from grpc_mode import run_grpc_load, verify_in_subprocess
from harness import BenchError
from system import MODEL, chat_payload, grpc_chat_target

from gate_service.proto_convert.request_json import request_to_proto
from spidergate.v1 import chat_pb2, stream_pb2
from tests.stack import Stack


@pytest.mark.parametrize("stream", [False, True])
def test_the_grpc_request_is_the_one_the_bridge_builds_from_the_json_modes_body(
    stream: bool,
) -> None:
    target = grpc_chat_target("127.0.0.1:1", "tok", MODEL, stream)
    bridged = request_to_proto(chat_payload(MODEL, stream))
    if stream:
        assert target.method == STREAM_METHOD and target.streaming
        sent = stream_pb2.StreamChatCompletionRequest.FromString(target.request).request
    else:
        sent = chat_pb2.CreateChatCompletionRequest.FromString(target.request).request
    assert sent == bridged
    assert target.metadata == (("authorization", "Bearer tok"),)


@pytest.mark.parametrize("stream", [False, True])
def test_the_generator_drives_the_gateway(stack: Stack, token: str, stream: bool) -> None:
    target = grpc_chat_target(stack.grpc_target, token, MODEL, stream)
    assert "Say hello in three languages." in verify_in_subprocess(target)
    result = run_grpc_load(target, in_flight=4, duration=1.0, processes=2, timeout_s=10)
    assert result.ok, result.note
    assert result.errors == 0 and result.codes == {}
    assert result.requests > 4
    assert result.rps == result.requests / 1.0
    assert 0 < result.p50_ms <= result.p99_ms <= result.max_ms
    assert result.driver_cpu_pct is not None and result.driver_cpu_pct > 0


def test_error_statuses_are_counted_by_name(stack: Stack) -> None:
    good = grpc_chat_target(stack.grpc_target, "not-a-token", MODEL, False)
    with pytest.raises(BenchError, match="UNAUTHENTICATED"):
        verify_in_subprocess(good)
    result = run_grpc_load(good, in_flight=2, duration=0.5, processes=1)
    assert result.ok  # the generator ran; the answers were errors
    assert set(result.codes) == {"UNAUTHENTICATED"}
    assert result.non2xx == result.requests == result.errors > 0
    assert result.p50_ms == 0.0  # latencies are those of successes only


def test_a_server_that_is_not_there_fails_the_run() -> None:
    target = GrpcTarget("127.0.0.1:1", STREAM_METHOD, b"", (), streaming=True)
    result = run_grpc_load(target, in_flight=1, duration=0.5, processes=1, timeout_s=1)
    assert not result.ok
    assert result.note == "BenchError: could not connect to 127.0.0.1:1 in 1 s"

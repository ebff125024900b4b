"""The bridge's gRPC client over several cores: round-robin, skipping a core that is down,
one retry for calls that never reached a core, none for calls that may have."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import grpc
import pytest

from bridge.core_client import CoreClient, parse_targets
from gate_service.proto_convert.errors import from_rpc_error
from spidergate.v1 import catalog_pb2, catalog_pb2_grpc, stream_pb2
from tests.bridge import fake_core
from tests.stack import free_port

HEALTH = catalog_pb2.GetHealthRequest()


@pytest.fixture
async def two() -> AsyncIterator[tuple[str, str, list[fake_core._Catalog]]]:
    """Two running fake cores: (address a, address b, [catalog a, catalog b])."""
    servers = [await fake_core.start(name) for name in ("a", "b")]
    yield (
        f"127.0.0.1:{servers[0][1]}",
        f"127.0.0.1:{servers[1][1]}",
        [catalog for _, _, catalog in servers],
    )
    for server, _, _ in servers:
        await server.stop(0)


async def _names(client: CoreClient, n: int) -> list[str]:
    return [(await client.catalog.GetHealth(HEALTH, timeout=5)).status for _ in range(n)]


def test_parse_targets() -> None:
    assert parse_targets(" a:1, b:2 ,") == ["a:1", "b:2"]
    with pytest.raises(ValueError, match="no core"):
        parse_targets(" , ")
    with pytest.raises(ValueError, match="repeated"):
        parse_targets("a:1,a:1")


async def test_one_target_keeps_plain_stubs(two: tuple[str, str, list]) -> None:
    client = CoreClient(two[0])
    try:
        assert isinstance(client.catalog, catalog_pb2_grpc.CatalogServiceStub)
        assert client.channels == [client.channel]
        for name in ("chat", "stream", "catalog", "vault", "usage"):
            assert getattr(client, name) is not None
        assert await _names(client, 2) == ["a", "a"]
    finally:
        await client.close()


async def test_calls_alternate_between_cores(two: tuple[str, str, list]) -> None:
    client = CoreClient(f"{two[0]},{two[1]}")
    try:
        names = await _names(client, 10)
        assert sorted(names) == ["a"] * 5 + ["b"] * 5
        assert names[:2] in (["a", "b"], ["b", "a"])
        assert len(client.channels) == 2
    finally:
        await client.close()


async def test_a_core_that_is_down_is_skipped_and_the_call_retried(
    two: tuple[str, str, list],
) -> None:
    down = f"127.0.0.1:{free_port()}"
    client = CoreClient(f"{down},{two[1]}")
    try:
        started = time.monotonic()
        assert await _names(client, 6) == ["b"] * 6  # the first one retried on b
        assert time.monotonic() - started < 2
        assert two[2][1].calls == 6  # each call reached b exactly once
    finally:
        await client.close()


async def test_every_core_down_is_a_503(two: tuple[str, str, list]) -> None:
    client = CoreClient(f"127.0.0.1:{free_port()},127.0.0.1:{free_port()}")
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await client.catalog.GetHealth(HEALTH, timeout=5)
        assert from_rpc_error(caught.value).code == "service_unavailable"
    finally:
        await client.close()


async def test_an_answer_from_a_core_is_never_retried(two: tuple[str, str, list]) -> None:
    client = CoreClient(f"{two[0]},{two[1]}")
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await client.catalog.GetModel(catalog_pb2.GetModelRequest(id="x"), timeout=5)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert from_rpc_error(caught.value).code == "all_providers_failed"
        assert two[2][0].calls + two[2][1].calls == 1
    finally:
        await client.close()


async def test_a_call_in_flight_when_its_core_dies_is_not_retried(
    two: tuple[str, str, list], tmp_path: object
) -> None:
    port = free_port()
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, killed by the test
        [sys.executable, "-m", "tests.bridge.fake_core", "doomed", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        client = CoreClient(f"127.0.0.1:{port},{two[1]}")
        try:
            # Both connected (READY); the next call goes to the doomed core again.
            assert await _names(client, 2) == ["doomed", "b"]
            # ensure_future: the call is an awaitable, not a coroutine (create_task's type).
            slow = asyncio.ensure_future(
                client.catalog.ListAliases(catalog_pb2.ListAliasesRequest(), timeout=10)
            )
            await asyncio.sleep(0.5)
            proc.kill()
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await slow
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
            assert two[2][1].calls == 1  # it may have run on the dead core: not run again
            assert await _names(client, 3) == ["b"] * 3  # the dead core is skipped
        finally:
            await client.close()
    finally:
        proc.kill()
        proc.wait(10)


async def test_streams_move_before_their_first_message(two: tuple[str, str, list]) -> None:
    client = CoreClient(f"127.0.0.1:{free_port()},{two[1]}")
    try:
        call = client.stream.StreamChatCompletion(stream_pb2.StreamChatCompletionRequest())
        # read() is typed ``object`` (EOF or a message): narrow to the message.
        first = await call.read()
        assert isinstance(first, stream_pb2.StreamChatCompletionResponse)
        assert first.headers["core"] == "b"
        second = await call.read()
        assert isinstance(second, stream_pb2.StreamChatCompletionResponse)
        assert second.headers["core"] == "b"
        assert await call.read() is grpc.aio.EOF
        call.cancel()
    finally:
        await client.close()

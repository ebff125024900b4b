"""The bridge's gRPC client over several cores, balanced by gRPC itself (round_robin with
health checking, bridge/core_client.py): calls alternate, a core that is down or not
serving is skipped, an answer from a core is never retried, nor is a call in flight when
its core dies. The fake cores are real gRPC servers (tests/bridge/fake_core.py)."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health_pb2

from bridge.core_client import SERVICE_CONFIG, CoreClient
from gate_service.proto_convert.errors import from_rpc_error
from gate_service.server import SERVER_OPTIONS
from spidergate.v1 import catalog_pb2, catalog_pb2_grpc, stream_pb2
from tests.bridge import fake_core
from tests.dns_server import dns_server
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


async def _until_both(client: CoreClient, names: set[str], limit_s: float = 10) -> None:
    """Call until every core in ``names`` has answered: round_robin takes a core into the
    turn once its connection (and health watch) is up, which is not at the first call."""
    seen: set[str] = set()
    deadline = time.monotonic() + limit_s
    while seen != names:
        assert time.monotonic() < deadline, f"only {seen} answered"
        seen |= set(await _names(client, 1))
        await asyncio.sleep(0.01)


def test_service_config_balances_and_never_configures_retries() -> None:
    assert '"round_robin"' in SERVICE_CONFIG and '"healthCheckConfig"' in SERVICE_CONFIG
    assert "retryPolicy" not in SERVICE_CONFIG and "hedgingPolicy" not in SERVICE_CONFIG


async def test_one_target_keeps_plain_stubs(two: tuple[str, str, list]) -> None:
    client = CoreClient(two[0])
    try:
        assert isinstance(client.catalog, catalog_pb2_grpc.CatalogServiceStub)
        for name in ("chat", "stream", "catalog", "vault", "usage"):
            assert getattr(client, name) is not None
        assert await _names(client, 2) == ["a", "a"]
    finally:
        await client.close()


@pytest.mark.parametrize("form", ["list", "ipv4"])
async def test_calls_alternate_between_cores(two: tuple[str, str, list], form: str) -> None:
    target = f"{two[0]},{two[1]}"
    client = CoreClient(target if form == "list" else "ipv4:" + target)
    try:
        assert client.grpc_target == "ipv4:" + target
        await _until_both(client, {"a", "b"})
        names = await _names(client, 10)
        assert sorted(names) == ["a"] * 5 + ["b"] * 5
        assert all(x != y for x, y in itertools.pairwise(names))
    finally:
        await client.close()


async def test_a_core_that_is_down_is_skipped(two: tuple[str, str, list]) -> None:
    down = f"127.0.0.1:{free_port()}"
    client = CoreClient(f"{down},{two[1]}")
    try:
        started = time.monotonic()
        assert await _names(client, 6) == ["b"] * 6
        assert time.monotonic() - started < 2
        assert two[2][1].calls == 6  # each call reached b exactly once
    finally:
        await client.close()


async def test_a_core_not_serving_is_skipped_until_it_serves_again(
    two: tuple[str, str, list],
) -> None:
    catalog_a = two[2][0]
    client = CoreClient(f"{two[0]},{two[1]}")
    try:
        await _until_both(client, {"a", "b"})
        # What a core does on SIGTERM before it stops (gate_service.server.mark_serving).
        await catalog_a.health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
        await asyncio.sleep(0.2)  # the health watch's update travels to the client
        calls_a = catalog_a.calls
        assert await _names(client, 6) == ["b"] * 6
        assert catalog_a.calls == calls_a
        await catalog_a.health.set("", health_pb2.HealthCheckResponse.SERVING)
        await _until_both(client, {"a", "b"})
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
        await _until_both(client, {"a", "b"})
        before = two[2][0].calls + two[2][1].calls
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await client.catalog.GetModel(catalog_pb2.GetModelRequest(id="x"), timeout=5)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert from_rpc_error(caught.value).code == "all_providers_failed"
        assert two[2][0].calls + two[2][1].calls == before + 1
    finally:
        await client.close()


async def test_a_call_in_flight_when_its_core_dies_is_not_retried(
    two: tuple[str, str, list],
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
            await _until_both(client, {"doomed", "b"})
            # Strict turns: the call after one of b's goes to the doomed core.
            while (await _names(client, 1)) != ["b"]:
                pass
            calls_b = two[2][1].calls
            # ensure_future: the call is an awaitable, not a coroutine (create_task's type).
            slow = asyncio.ensure_future(
                client.catalog.ListAliases(catalog_pb2.ListAliasesRequest(), timeout=10)
            )
            await asyncio.sleep(0.5)
            proc.kill()
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await slow
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
            assert two[2][1].calls == calls_b  # it may have run on the dead core: not run again
            assert await _names(client, 3) == ["b"] * 3  # the dead core is skipped
        finally:
            await client.close()
    finally:
        proc.kill()
        proc.wait(10)


async def test_streams_go_to_a_core_that_is_up(two: tuple[str, str, list]) -> None:
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


async def test_a_core_added_to_the_dns_name_joins_when_a_connection_ages() -> None:
    """gRPC's DNS resolver does not poll; it resolves again when a connection goes. The
    core closes each connection at an age (gate_service/server.py, 5 minutes; 1 s here)
    so a client balancing over a name (a Kubernetes headless Service) takes new cores in."""
    assert ("grpc.max_connection_age_ms", 300_000) in SERVER_OPTIONS
    aged = [("grpc.max_connection_age_ms", 1_000)]
    port = free_port()
    servers = [
        await fake_core.start(name, port, host=host, options=aged)
        for name, host in (("a", "127.0.0.1"), ("b", "127.0.0.2"))
    ]
    names = {"cores.test": ["127.0.0.1"]}
    client = None
    try:
        with dns_server(names) as dns:
            client = CoreClient(f"dns://{dns}/cores.test:{port}")
            assert await _names(client, 4) == ["a"] * 4
            names["cores.test"] = ["127.0.0.1", "127.0.0.2"]  # a core added
            await _until_both(client, {"a", "b"}, limit_s=40)  # (30 s between resolutions)
    finally:
        if client is not None:
            await client.close()
        for server, _, _ in servers:
            await server.stop(0)

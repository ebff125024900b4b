"""The request pipeline driven by calls that are not chat, the way a new endpoint's
service drives it: a unary call and a stream with their own wire code and their own
answer types (:class:`TallyCall`, :class:`WordStreamCall`), routed by the real runner
over HTTP to our mock provider, key health on an injected clock, the real in-memory
governor (counting what it is asked to settle or release) and a list for a ledger.

What every kind of call gets from the pipeline: admission before any provider call,
the reservation settled to the real cost or released, one record per ending (served,
refused, failed, client gone, shutdown), and shutdown's drain."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from gate_service.errors import GateError
from mock_provider.server import MockServer
from tests.pipeline.world import (
    CEREBRAS,
    GROQ,
    MODEL,
    Tally,
    TallyCall,
    WordStreamCall,
    World,
)


@pytest.fixture
def world(mock: MockServer, session: aiohttp.ClientSession) -> World:
    mock.state.reset()
    return World(mock, session)


# ---------------------------------------------------------------------- served


async def test_a_served_call_is_admitted_settled_to_its_real_cost_and_recorded_once(
    world: World,
) -> None:
    world.mock.state.add_fault({"kind": "error", "status": 500, "match": {"path": "/groq"}})
    call = TallyCall(world.session, "[mock:words=12] count")
    tally, headers = await world.tally(call, rpm=10)
    assert tally == Tally(12)
    assert headers["X-RateLimit-Limit-Requests"] == "10"
    [record] = world.records
    assert record.cost_usd > 0
    assert world.governor.endings == [("settle", record.cost_usd)]
    assert (record.status, record.error_code, record.streamed, record.cache_hit) == (
        200,
        None,
        False,
        False,
    )
    assert (record.requested_model, record.alias, record.served_model) == (MODEL, MODEL, CEREBRAS)
    assert (record.provider, record.key_id, record.token_id) == ("cerebras", "cerebras-1", "tok_1")
    assert record.completion_tokens == 12 and record.prompt_tokens > 0
    assert record.fallback_chain == (f"groq:{GROQ}", f"groq:{GROQ}", f"cerebras:{CEREBRAS}")
    assert world.pipeline.in_flight == 0


async def test_a_model_id_is_recorded_without_an_alias(world: World) -> None:
    await world.tally(TallyCall(world.session), model=f"groq/{GROQ}")
    [record] = world.records
    assert (record.requested_model, record.alias, record.served_model) == (
        f"groq/{GROQ}",
        None,
        GROQ,
    )


async def test_every_ending_is_recorded_under_its_flights_kind(world: World) -> None:
    """The kind a service gives its flight is the record's, served or refused; chat when
    it gives none."""
    await world.tally(TallyCall(world.session), kind="embedding")
    with pytest.raises(GateError):
        await world.tally(TallyCall(world.session), model="no/such-model", kind="moderation")
    await world.tally(TallyCall(world.session))
    assert [(r.kind, r.status) for r in world.records] == [
        ("embedding", 200),
        ("moderation", 404),
        ("chat", 200),
    ]


# ---------------------------------------------------------------------- refused, failed


async def test_a_call_refused_by_its_plan_carries_the_limits_and_is_recorded(
    world: World,
) -> None:
    with pytest.raises(GateError) as info:
        await world.tally(TallyCall(world.session), model="no/such-model", rpm=10)
    assert info.value.http_status == 404
    assert info.value.headers["X-RateLimit-Limit-Requests"] == "10"
    assert world.mock.state.total == 0 and world.governor.endings == []
    assert [(r.status, r.error_code) for r in world.records] == [(404, "model_not_found")]


async def test_a_call_the_governor_refuses_reaches_no_provider(world: World) -> None:
    with pytest.raises(GateError) as info:
        await world.tally(TallyCall(world.session), budget_usd=0.0)
    assert (info.value.http_status, info.value.code) == (402, "budget_exceeded")
    assert world.mock.state.total == 0 and world.governor.endings == []
    [record] = world.records
    assert (record.status, record.error_code, record.attempts) == (402, "budget_exceeded", ())


async def test_a_failed_call_releases_its_reservation(world: World) -> None:
    world.mock.state.add_fault({"kind": "error", "status": 500})
    with pytest.raises(GateError) as info:
        await world.tally(TallyCall(world.session), rpm=10, budget_usd=5.0)
    assert (info.value.http_status, info.value.code) == (502, "all_providers_failed")
    # The admission's headers go on the error too.
    assert info.value.headers["X-RateLimit-Limit-Requests"] == "10"
    assert world.governor.endings == [("release", 0.0)]
    [record] = world.records
    assert (record.status, record.error_code, record.cost_usd) == (502, "all_providers_failed", 0)
    assert [a.status for a in record.attempts] == [500, 500, 500]
    assert world.pipeline.in_flight == 0


async def test_a_call_whose_client_left_releases_and_is_recorded_as_closed(
    world: World,
) -> None:
    world.mock.state.add_fault({"kind": "delay", "delay_ms": 30_000})
    call = TallyCall(world.session)
    task = asyncio.create_task(world.tally(call, budget_usd=5.0))
    await call.sent.wait()
    assert world.pipeline.in_flight == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert world.governor.endings == [("release", 0.0)]
    [record] = world.records
    assert (record.status, record.error_code, record.cost_usd) == (499, "client_closed", 0)
    assert world.pipeline.in_flight == 0


# ---------------------------------------------------------------------- shutdown


async def test_drain_waits_for_a_call_that_finishes_within_the_grace(world: World) -> None:
    call = TallyCall(world.session)
    task = asyncio.create_task(world.tally(call))
    await call.sent.wait()
    assert await world.pipeline.drain(30.0) == 0
    assert task.done() and world.pipeline.in_flight == 0
    [record] = world.records
    assert record.status == 200 and record.cost_usd > 0
    assert world.governor.endings == [("settle", record.cost_usd)]


async def test_drain_ends_a_call_still_running_after_the_grace(world: World) -> None:
    world.mock.state.add_fault({"kind": "delay", "delay_ms": 30_000})
    call = TallyCall(world.session)
    task = asyncio.create_task(world.tally(call, budget_usd=5.0))
    await call.sent.wait()
    assert await world.pipeline.drain(0.0) == 1
    assert task.done() and world.pipeline.in_flight == 0
    with pytest.raises(GateError) as info:
        await task
    assert (info.value.http_status, info.value.code) == (503, "service_unavailable")
    assert world.governor.endings == [("release", 0.0)]
    [record] = world.records
    assert (record.status, record.error_code) == (503, "shutdown")


async def test_a_call_arriving_after_the_grace_is_ended_at_once(world: World) -> None:
    assert await world.pipeline.drain(0.0) == 0
    with pytest.raises(GateError) as info:
        await world.tally(TallyCall(world.session), budget_usd=5.0)
    assert (info.value.http_status, info.value.code) == (503, "service_unavailable")
    assert world.mock.state.total == 0 and world.governor.endings == [("release", 0.0)]
    assert [(r.status, r.error_code) for r in world.records] == [(503, "shutdown")]


# ---------------------------------------------------------------------- streams


async def test_a_served_stream_settles_to_what_it_produced_and_is_recorded_once(
    world: World,
) -> None:
    world.mock.state.add_fault({"kind": "reset", "match": {"path": "/groq"}})
    words = await world.read(WordStreamCall(world.session, "[mock:words=20] go"))
    assert len(words) == 20
    [record] = world.records
    assert (record.status, record.streamed, record.served_model) == (200, True, CEREBRAS)
    assert record.completion_tokens == 20 and record.ttft_ms is not None
    assert record.cost_usd > 0
    assert world.governor.endings == [("settle", record.cost_usd)]
    assert world.pipeline.in_flight == 0


async def test_a_stream_the_client_leaves_is_billed_and_recorded_as_closed(
    world: World,
) -> None:
    world.mock.state.add_fault({"kind": "slow_stream", "chunk_delay_ms": 5})
    words = await world.read(WordStreamCall(world.session, "[mock:words=30] go"), leave_after=1)
    assert 0 < len(words) < 30
    [record] = world.records
    assert (record.status, record.error_code, record.streamed) == (499, "client_closed", True)
    assert record.cost_usd > 0 and 0 < record.completion_tokens < 30
    assert world.governor.endings == [("settle", record.cost_usd)]
    assert world.pipeline.in_flight == 0

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
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from gate_service.auth.principal import ALL_SCOPES, Principal, TokenControls
from gate_service.deadline import Deadline
from gate_service.domain import Usage
from gate_service.errors import GateError
from gate_service.ledger import RequestRecord
from gate_service.pipeline import Pipeline
from gate_service.providers.base import Target, UpstreamRequest, WireAdapter
from gate_service.providers.registry import default_adapters
from gate_service.providers.transport import StreamResponse, create_session, open_stream, post
from gate_service.routing.health import HealthBook
from gate_service.routing.outcome import RequestContext
from gate_service.routing.router import Router
from gate_service.routing.runner import Reply, Route
from mock_provider.server import MockServer, start_mock
from tests.domain.build import chat_request
from tests.pipeline.doubles import CountedGovernor, ListLedger
from tests.routing.runner_world import CATALOG, Clock
from tests.upstreams import mock_key_pool

GROQ, CEREBRAS = "llama-3.1-8b-instant", "llama3.1-8b"
MODEL = "spideriq/fast"
# What the service reserves: any worst case will do, the test only follows it.
WORST_USD = 0.01


@dataclass(frozen=True, slots=True)
class Tally:
    """A non-chat answer: how many words the upstream wrote."""

    words: int


@dataclass(slots=True)
class TallyCall:
    """One unary attempt of a kind of call that is not chat, as an embeddings call will
    be: its own wire code (a JSON body posted to the upstream, its answer parsed), its
    own answer type, the usage the upstream reports (what the account is billed).
    ``sent`` is set as an attempt goes out, so a test can act while it is in flight."""

    session: aiohttp.ClientSession
    text: str = "count these"
    sent: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(
        self, target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
    ) -> Reply[Tally]:
        body = {"model": target.model, "messages": [{"role": "user", "content": self.text}]}
        upstream = UpstreamRequest(
            f"{target.base_url}/chat/completions",
            {"authorization": f"Bearer {target.secret}", "content-type": "application/json"},
            json.dumps(body).encode(),
        )
        self.sent.set()
        resp = await post(self.session, upstream, timeout_s, deadline)
        if resp.status >= 400:
            raise adapter.classify_error(resp.status, resp.headers, resp.body)
        answer = json.loads(resp.body)
        usage = answer["usage"]
        return Reply(
            Tally(len(answer["choices"][0]["message"]["content"].split())),
            resp.headers,
            Usage(usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]),
        )


class Words:
    """An upstream stream the provider accepted, read as the words of each event (a
    non-chat item type); usage counts the words that passed through."""

    def __init__(self, resp: StreamResponse, deadline: Deadline, timeout_s: float) -> None:
        self._resp, self._deadline, self._timeout_s = resp, deadline, timeout_s
        self.produced = 0

    @property
    def headers(self) -> Mapping[str, str]:
        return self._resp.headers

    async def items(self) -> AsyncGenerator[list[str]]:
        async for payloads in self._resp.events(self._timeout_s, self._deadline):
            for data in payloads:
                if data == b"[DONE]":
                    return
                for choice in json.loads(data).get("choices", []):
                    words = (choice["delta"].get("content") or "").split()
                    if words:
                        self.produced += len(words)
                        yield words

    def usage(self) -> Usage:
        return Usage(prompt_tokens=5, completion_tokens=self.produced)

    def close(self) -> None:
        self._resp.close()


@dataclass(slots=True)
class WordStreamCall:
    """One streaming attempt of a kind of call that is not chat: its own wire code and
    its own item type (the words of each event)."""

    session: aiohttp.ClientSession
    text: str

    async def __call__(
        self, target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
    ) -> Words:
        body = {
            "model": target.model,
            "messages": [{"role": "user", "content": self.text}],
            "stream": True,
        }
        upstream = UpstreamRequest(
            f"{target.base_url}/chat/completions",
            {"authorization": f"Bearer {target.secret}", "content-type": "application/json"},
            json.dumps(body).encode(),
        )
        resp = await open_stream(self.session, upstream, timeout_s, deadline)
        if resp.status >= 400:
            try:
                raise adapter.classify_error(resp.status, resp.headers, await resp.read_body())
            finally:
                resp.close()
        return Words(resp, deadline, timeout_s)


@dataclass
class World:
    """The pipeline over real routing, for one test."""

    mock: MockServer
    session: aiohttp.ClientSession
    clock: Clock = field(default_factory=Clock)
    governor: CountedGovernor = field(default_factory=CountedGovernor)
    ledger: ListLedger = field(default_factory=ListLedger)
    pipeline: Pipeline = field(init=False)

    def __post_init__(self) -> None:
        health = HealthBook(clock=self.clock, wall_clock=lambda: 1_800_000_000.0)
        router = Router(
            lambda: CATALOG,
            mock_key_pool(self.mock.url),
            default_adapters(),
            health=health,
            clock=self.clock,
        )
        self.pipeline = Pipeline(router, self.governor, self.ledger)

    async def tally(
        self, call: TallyCall, *, model: str = MODEL, rid: str = "rid-1", **controls: Any
    ) -> tuple[Tally, dict[str, str]]:
        """What a new endpoint's service writes: plan, admit, run, inside one flight."""
        principal, ctx = who(**controls), RequestContext("cli_brand", rid)
        pipeline = self.pipeline
        async with pipeline.flight(principal, ctx, model, streamed=False) as flight:
            # Planning is the service's own; routing plans from a chat request today.
            planned = pipeline.router.planner.prepare(ctx, chat_request(_body(model)))
            admission = await flight.admit(WORST_USD)
            run = flight.run(Route(planned, ctx.deadline, timeout_s=5.0))
            tally = await run.unary(call)
        return tally, dict(admission.headers)

    async def words(self, call: WordStreamCall, **controls: Any) -> AsyncGenerator[list[str]]:
        """A streaming service: its items go out as they come; the client may leave."""
        principal, ctx = who(**controls), RequestContext("cli_brand", "rid-1")
        pipeline = self.pipeline
        async with pipeline.flight(principal, ctx, MODEL, streamed=True) as flight:
            planned = pipeline.router.planner.prepare(ctx, chat_request(_body(MODEL)))
            await flight.admit(WORST_USD)
            run = flight.run(Route(planned, ctx.deadline, timeout_s=5.0))
            async with contextlib.aclosing(run.stream(call)) as items:
                async for item in items:
                    yield item

    async def read(self, call: WordStreamCall, *, leave_after: int | None = None) -> list[str]:
        """The words streamed; ``leave_after``: the client leaves after that many items."""
        got: list[str] = []
        async with contextlib.aclosing(self.words(call, budget_usd=5.0)) as items:
            async for n, item in aenumerate(items):
                got.extend(item)
                if leave_after is not None and n + 1 >= leave_after:
                    break
        return got

    @property
    def records(self) -> list[RequestRecord]:
        return self.ledger.entries


async def aenumerate(items: AsyncIterator[list[str]]) -> AsyncIterator[tuple[int, list[str]]]:
    n = 0
    async for item in items:
        yield n, item
        n += 1


def who(**controls: Any) -> Principal:
    return Principal(
        client_id="cli_brand",
        brand_name="brand",
        kind="agent_token",
        token_id="tok_1",
        agent_name="agent",
        scopes=frozenset(ALL_SCOPES),
        controls=TokenControls(**controls),
    )


def _body(model: str) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "plan"}]}


@pytest.fixture(scope="module")
async def mock() -> AsyncIterator[MockServer]:
    server = await start_mock()
    yield server
    await server.close()


@pytest.fixture(scope="module")
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    s = create_session()
    yield s
    await s.close()


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

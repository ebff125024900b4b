"""The pipeline's world for its tests: the pipeline over real routing (the bundled
catalog, the mock key pool, key health on an injected clock), and calls that are not
chat — a unary one (:class:`TallyCall`) and a stream (:class:`WordStreamCall`), each with
its own wire code and answer type — driven the way a new endpoint's service drives them
(:meth:`World.tally`, :meth:`World.words`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from gate_service.auth.principal import ALL_SCOPES, Principal, TokenControls
from gate_service.deadline import Deadline
from gate_service.domain import Usage
from gate_service.ledger import RequestRecord
from gate_service.ledger.record import RequestKind
from gate_service.pipeline import Pipeline
from gate_service.providers.base import Target, UpstreamRequest, WireAdapter
from gate_service.providers.registry import default_adapters
from gate_service.providers.transport import StreamResponse, open_stream, post
from gate_service.routing.health import HealthBook
from gate_service.routing.outcome import RequestContext
from gate_service.routing.plan import Needs
from gate_service.routing.router import Router
from gate_service.routing.runner import Reply, Route
from mock_provider.server import MockServer
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
        self,
        call: TallyCall,
        *,
        model: str = MODEL,
        rid: str = "rid-1",
        kind: RequestKind = "chat",
        **controls: Any,
    ) -> tuple[Tally, dict[str, str]]:
        """What a new endpoint's service writes: plan, admit, run, inside one flight."""
        principal, ctx = who(**controls), RequestContext("cli_brand", rid)
        pipeline = self.pipeline
        async with pipeline.flight(principal, ctx, model, streamed=False, kind=kind) as flight:
            # Planning reads only what the call needs of a candidate: here, its model.
            planned = pipeline.router.planner.prepare(ctx, Needs(model=model))
            admission = await flight.admit(WORST_USD)
            run = flight.run(Route(planned, ctx.deadline, timeout_s=5.0))
            tally = await run.unary(call)
        return tally, dict(admission.headers)

    async def words(self, call: WordStreamCall, **controls: Any) -> AsyncGenerator[list[str]]:
        """A streaming service: its items go out as they come; the client may leave."""
        principal, ctx = who(**controls), RequestContext("cli_brand", "rid-1")
        pipeline = self.pipeline
        async with pipeline.flight(principal, ctx, MODEL, streamed=True) as flight:
            planned = pipeline.router.planner.prepare(ctx, Needs(model=MODEL))
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

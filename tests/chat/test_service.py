"""The chat service on its own: admission before any provider call, the reservation
settled to the real cost or released, the cache, and one ledger record for every way a
request ends, through the request pipeline (:mod:`gate_service.pipeline`). Real routing
over HTTP to our mock provider, the real in-memory governor (counting what it is asked
to settle or release) and the real in-memory cache; the ledger is a list (the ledger's
own writer is tested apart)."""

from __future__ import annotations

import contextlib
from typing import Any

import aiohttp
import pytest

from gate_service.auth.principal import ALL_SCOPES, Principal, TokenControls
from gate_service.cache import MemoryCache
from gate_service.catalog.loader import load_bundled
from gate_service.catalog.snapshot import Catalog
from gate_service.chat.answer import FALLBACK_HEADER
from gate_service.chat.service import ChatService
from gate_service.domain import ChatRequest, Chunk
from gate_service.errors import GateError
from gate_service.ledger import RequestRecord
from gate_service.pipeline import Pipeline
from gate_service.providers.registry import default_adapters
from gate_service.routing.outcome import RequestContext
from gate_service.routing.router import Router
from mock_provider.server import MockServer
from tests.domain.build import chat_request
from tests.pipeline.doubles import CountedGovernor, ListLedger
from tests.upstreams import mock_key_pool

CATALOG = Catalog(load_bundled())
GROQ, CEREBRAS = "llama-3.1-8b-instant", "llama3.1-8b"


@pytest.fixture
def service(mock: MockServer, session: aiohttp.ClientSession) -> ChatService:
    mock.state.reset()
    router = Router(lambda: CATALOG, mock_key_pool(mock.url), default_adapters())
    pipeline = Pipeline(router, CountedGovernor(), ListLedger())
    return ChatService(pipeline, session, MemoryCache(), default_timeout_s=5.0)


def principal(**controls: Any) -> Principal:
    return Principal(
        client_id="cli_brand",
        brand_name="brand",
        kind="agent_token",
        token_id="tok_1",
        agent_name="agent",
        scopes=frozenset(ALL_SCOPES),
        controls=TokenControls(**controls),
    )


def chat(**body: Any) -> ChatRequest:
    return chat_request(
        {"model": "spideriq/fast", "messages": [{"role": "user", "content": "hi"}], **body}
    )


def ctx(rid: str = "rid-1", **kw: Any) -> RequestContext:
    return RequestContext(client_id="cli_brand", request_id=rid, **kw)


def endings(service: ChatService) -> list[tuple[str, float]]:
    governor = service.pipeline.governor
    assert isinstance(governor, CountedGovernor)
    return governor.endings


def ledger(service: ChatService) -> list[RequestRecord]:
    assert isinstance(service.pipeline.ledger, ListLedger)
    return service.pipeline.ledger.entries


async def collect(
    service: ChatService, request: ChatRequest, *, read: int | None = None
) -> tuple[list[dict[str, str] | None], list[Chunk]]:
    """Stream; ``read``: leave after that many batches."""
    headers: list[dict[str, str] | None] = []
    chunks: list[Chunk] = []
    async with contextlib.aclosing(service.stream(principal(), ctx(), request)) as batches:
        async for h, batch in batches:
            headers.append(h)
            chunks.extend(batch)
            if read is not None and len(headers) >= read:
                break
    return headers, chunks


# ---------------------------------------------------------------------- unary


async def test_a_served_request_settles_its_real_cost_and_is_recorded(
    service: ChatService, mock: MockServer
) -> None:
    mock.state.add_fault({"kind": "error", "status": 500, "match": {"path": "/groq"}})
    completion, headers = await service.complete(principal(), ctx(include_route_trace=True), chat())
    meta = completion.metadata
    assert meta is not None
    assert completion.model == CEREBRAS and completion.id.startswith("chatcmpl-")
    assert meta.provider == "cerebras" and meta.fallback_used is True
    assert meta.original_model == GROQ and meta.requested_model == "spideriq/fast"
    assert meta.request_id == "rid-1" and meta.cost_usd > 0
    assert [a.outcome for a in completion.route_trace] == ["error", "error", "success"]
    assert headers[FALLBACK_HEADER] == GROQ
    assert endings(service) == [("settle", meta.cost_usd)]
    [entry] = ledger(service)
    assert (entry.status, entry.error_code, entry.streamed, entry.cache_hit) == (
        200,
        None,
        False,
        False,
    )
    assert (entry.served_model, entry.provider, entry.key_id) == (
        CEREBRAS,
        "cerebras",
        "cerebras-1",
    )
    assert entry.alias == "spideriq/fast" and entry.cost_usd == meta.cost_usd
    assert completion.usage is not None
    assert entry.prompt_tokens == completion.usage.prompt_tokens > 0
    assert entry.fallback_chain == (f"groq:{GROQ}", f"groq:{GROQ}", f"cerebras:{CEREBRAS}")
    assert service.pipeline.in_flight == 0


async def test_a_refused_admission_calls_no_provider(
    service: ChatService, mock: MockServer
) -> None:
    with pytest.raises(GateError) as info:
        await service.complete(principal(budget_usd=0.0), ctx(), chat())
    assert (info.value.http_status, info.value.code) == (402, "budget_exceeded")
    assert mock.state.total == 0 and endings(service) == []
    [entry] = ledger(service)
    assert (entry.status, entry.error_code, entry.attempts) == (402, "budget_exceeded", ())


async def test_a_plan_refused_is_recorded_with_the_limits_as_they_stand(
    service: ChatService, mock: MockServer
) -> None:
    with pytest.raises(GateError) as info:
        await service.complete(principal(rpm=10), ctx(), chat(model="no/such-model"))
    assert info.value.http_status == 404
    assert info.value.headers["X-RateLimit-Limit-Requests"] == "10"
    assert mock.state.total == 0 and endings(service) == []
    assert [(e.status, e.error_code) for e in ledger(service)] == [(404, "model_not_found")]


async def test_every_candidate_failing_releases_the_reservation(
    service: ChatService, mock: MockServer
) -> None:
    mock.state.add_fault({"kind": "error", "status": 500})
    with pytest.raises(GateError) as info:
        await service.complete(principal(budget_usd=5.0), ctx(), chat())
    assert info.value.http_status == 502
    assert endings(service) == [("release", 0.0)]
    [entry] = ledger(service)
    assert (entry.status, entry.error_code, entry.cost_usd) == (502, "all_providers_failed", 0.0)
    assert [a.status for a in entry.attempts] == [500, 500, 500]  # groq twice, cerebras


async def test_a_cache_hit_costs_nothing_and_calls_no_provider(
    service: ChatService, mock: MockServer
) -> None:
    cached: dict[str, Any] = {"spidergate_options": {"cache_enabled": True}}
    first, _ = await service.complete(principal(), ctx("rid-1"), chat(**cached))
    assert mock.state.total == 1
    hit, _ = await service.complete(principal(), ctx("rid-2"), chat(**cached))
    assert mock.state.total == 1
    assert hit.choices == first.choices and hit.id != first.id
    assert hit.metadata is not None and first.metadata is not None
    assert hit.metadata.cache_hit is True
    assert hit.metadata.cost_usd == 0.0
    assert endings(service) == [("settle", first.metadata.cost_usd), ("settle", 0)]
    miss, hit_entry = ledger(service)
    assert (hit_entry.cache_hit, hit_entry.cost_usd, hit_entry.key_id) == (True, 0.0, None)
    assert hit_entry.served_model == miss.served_model == GROQ
    # A streaming request is answered from the same hit, replayed as chunks.
    headers, chunks = await collect(service, chat(**cached, stream=True))
    assert mock.state.total == 1 and len(headers) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == first.choices[0].message.content


async def test_a_cached_stream_the_client_leaves_after_its_answer_ends_once(
    service: ChatService, mock: MockServer
) -> None:
    cached: dict[str, Any] = {"spidergate_options": {"cache_enabled": True}}
    first, _ = await service.complete(principal(), ctx("rid-1"), chat(**cached))
    # The client leaves as soon as the replayed answer arrives: the request was served,
    # settled and recorded before it went out, and is not ended a second time.
    headers, _ = await collect(service, chat(**cached, stream=True), read=1)
    assert mock.state.total == 1 and len(headers) == 1
    assert first.metadata is not None
    assert endings(service) == [("settle", first.metadata.cost_usd), ("settle", 0)]
    _, hit_entry = ledger(service)
    assert (hit_entry.status, hit_entry.cache_hit, hit_entry.streamed) == (200, True, True)
    assert service.pipeline.in_flight == 0


async def test_requests_arriving_after_the_shutdown_grace_are_ended(
    service: ChatService, mock: MockServer
) -> None:
    assert await service.pipeline.drain(0.0) == 0
    with pytest.raises(GateError) as info:
        await service.complete(principal(budget_usd=5.0), ctx(), chat())
    assert (info.value.http_status, info.value.code) == (503, "service_unavailable")
    assert mock.state.total == 0 and endings(service) == [("release", 0.0)]
    assert [(e.status, e.error_code) for e in ledger(service)] == [(503, "shutdown")]


# ---------------------------------------------------------------------- streams


async def test_a_served_stream_settles_and_is_recorded(
    service: ChatService, mock: MockServer
) -> None:
    mock.state.add_fault({"kind": "reset", "match": {"path": "/groq"}})
    headers, chunks = await collect(service, chat(stream=True))
    assert headers[0] is not None and headers[0][FALLBACK_HEADER] == GROQ
    assert all(h is None for h in headers[1:])
    assert {c.model for c in chunks} == {CEREBRAS}
    [entry] = ledger(service)
    assert (entry.status, entry.streamed, entry.served_model) == (200, True, CEREBRAS)
    assert entry.ttft_ms is not None and entry.cost_usd > 0
    assert endings(service) == [("settle", entry.cost_usd)]


async def test_a_stream_broken_after_it_started_is_still_paid_for(
    service: ChatService, mock: MockServer
) -> None:
    mock.state.add_fault({"kind": "stream_cut", "after_chunks": 3, "match": {"model": GROQ}})
    request = chat(stream=True, messages=[{"role": "user", "content": "[mock:words=30] go"}])
    with pytest.raises(GateError) as info:
        await collect(service, request)
    assert info.value.code == "upstream_error"
    [entry] = ledger(service)
    assert (entry.status, entry.error_code, entry.provider) == (502, "upstream_error", "groq")
    assert entry.cost_usd > 0 and entry.completion_tokens > 0
    assert endings(service) == [("settle", entry.cost_usd)]


async def test_a_stream_the_client_leaves_is_billed_and_recorded_as_closed(
    service: ChatService, mock: MockServer
) -> None:
    mock.state.add_fault({"kind": "slow_stream", "chunk_delay_ms": 5})
    request = chat(stream=True, messages=[{"role": "user", "content": "[mock:words=30] go"}])
    headers, _ = await collect(service, request, read=1)
    assert len(headers) == 1
    [entry] = ledger(service)
    assert (entry.status, entry.error_code, entry.streamed) == (499, "client_closed", True)
    assert entry.cost_usd > 0 and entry.prompt_tokens > 0
    assert endings(service) == [("settle", entry.cost_usd)]
    assert service.pipeline.in_flight == 0

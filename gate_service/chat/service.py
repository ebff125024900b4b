"""The chat service: what both gRPC servicers call; only what is chat's own.

Everything any kind of call needs — admission, the failover run, settling or releasing
the budget reservation however the request ends, the ledger record, metrics, shutdown —
is the request pipeline's (:mod:`gate_service.pipeline`): each request here is one
:class:`~gate_service.pipeline.flight.Flight`. What is chat's: planning a chat request
and its worst case (:mod:`gate_service.routing.planning`), the chat attempts
(:mod:`gate_service.chat.attempts`), shaping the answer from the run's outcome
(:mod:`gate_service.chat.answer`), and the exact-match cache.

The cache: a hit answers with the stored completion marked ``cache_hit: true`` and
``cost_usd: 0`` (the key includes the brand, so one brand never gets another's answer).
Only whole completions are stored: a streaming request is served from a hit (replayed
as chunks) but a streamed answer is not stored.

**How a request ends** is what the ledger records: served (200), refused or failed (the
error's status and code), or cut short. A stream cut short is billed for what it produced
(the attempt meters it: see :class:`~gate_service.chat.attempts.Meter`), settled against
its reservation, and recorded with why it ended: ``client_closed`` (499: the client
left), ``shutdown`` (503: still running when the shutdown grace ran out) or
``upstream_error`` (502: the provider broke it). So dropping a stream before ``[DONE]``
neither escapes the bill nor a hard budget.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import AsyncGenerator

import aiohttp

from gate_service.auth.principal import Principal
from gate_service.cache import ResponseCache, cache_key, cacheable, prepare_hit
from gate_service.capture.content import StreamAssembler, completion_json, input_json
from gate_service.chat.answer import answer_headers, shape_completion
from gate_service.chat.attempts import ChunkStreamCall, CompletionCall, chat_route
from gate_service.chat.emptiness import chunks_answer, is_empty
from gate_service.chat.needs import needs_of
from gate_service.chat.replay import completion_to_chunks
from gate_service.domain import ChatRequest, Chunk, Completion
from gate_service.pipeline import Cached, Pipeline
from gate_service.routing.outcome import Outcome, RequestContext
from gate_service.routing.planning import worst_case_usd

Chunks = tuple[dict[str, str] | None, list[Chunk]]


class ChatService:
    def __init__(
        self,
        pipeline: Pipeline,
        session: aiohttp.ClientSession,
        cache: ResponseCache | None,
        *,
        default_timeout_s: float = 60.0,
    ) -> None:
        self.pipeline = pipeline
        self.planner = pipeline.router.planner
        self.session = session
        self.default_timeout_s = default_timeout_s
        self.cache = cache

    # ------------------------------------------------------------------ cache

    async def _hit(
        self, ctx: RequestContext, request: ChatRequest
    ) -> tuple[str | None, int, Completion | None]:
        enabled, ttl = cacheable(request)
        if not enabled or self.cache is None or ctx.client_id is None:
            return None, 0, None
        started = time.perf_counter()
        key = cache_key(ctx.client_id, request)
        stored = await self.cache.get(key)
        if stored is None:
            return key, ttl, None
        latency = round((time.perf_counter() - started) * 1000, 3)
        return key, ttl, prepare_hit(stored, request_id=ctx.request_id, latency_ms=latency)

    # ------------------------------------------------------------------ unary

    async def complete(
        self, principal: Principal, ctx: RequestContext, request: ChatRequest
    ) -> tuple[Completion, dict[str, str]]:
        async with self.pipeline.flight(
            principal, ctx, request.model, streamed=False, kind=request.kind
        ) as flight:
            capturing = principal.captures
            if capturing:
                flight.capture_input(input_json(request.messages))
            needs = needs_of(request)
            planned = self.planner.prepare(ctx, needs)
            admission = await flight.admit(worst_case_usd(planned, needs))
            key, ttl, hit = await self._hit(ctx, request)
            if hit is not None:
                flight.cached(_cached(hit))
                if capturing:
                    flight.capture_output(completion_json(hit))
                return hit, dict(admission.headers)
            run = flight.run(chat_route(request, planned, ctx.deadline, self.default_timeout_s))
            completion = await run.unary(CompletionCall(self.session, request))
            self._learn(run.outcome, request, empty=is_empty(completion))
            if capturing:
                flight.capture_output(completion_json(completion))
            completion, headers = shape_completion(completion, run.outcome, planned, request, ctx)
        # Served: the flight has settled the reservation and recorded the request.
        if key is not None and self.cache is not None:
            await self.cache.set(key, dataclasses.replace(completion, route_trace=[]), ttl)
        return completion, {**headers, **admission.headers}

    # ------------------------------------------------------------------ counting

    def count_tokens(self, ctx: RequestContext, request: ChatRequest) -> int:
        """The prompt's estimated tokens, as routing and budgets see it, once the model
        resolved for this caller (404 / 403 / 422 as a completion would get). No provider
        call and no admission: counting is free and not a request against the limits."""
        needs = needs_of(request)
        self.planner.prepare(ctx, needs)
        return needs.prompt_tokens

    # ------------------------------------------------------------------ streaming

    async def stream(
        self, principal: Principal, ctx: RequestContext, request: ChatRequest
    ) -> AsyncGenerator[Chunks]:
        async with self.pipeline.flight(
            principal, ctx, request.model, streamed=True, kind=request.kind
        ) as flight:
            assembled = None
            if principal.captures:
                flight.capture_input(input_json(request.messages))
                assembled = StreamAssembler()
                # Read when the flight ends: a stream cut short records what it sent.
                flight.capture_output(assembled)
            needs = needs_of(request, stream=True)
            planned = self.planner.prepare(ctx, needs)
            admission = await flight.admit(worst_case_usd(planned, needs))
            _, _, hit = await self._hit(ctx, request)
            if hit is not None:
                flight.cached(_cached(hit))
                if assembled is not None:
                    flight.capture_output(completion_json(hit))
                await flight.finish()
                yield (
                    dict(admission.headers),
                    completion_to_chunks(hit, include_usage=request.wants_usage),
                )
                return
            run = flight.run(chat_route(request, planned, ctx.deadline, self.default_timeout_s))
            first = True
            answered = False
            # aclosing: when this generator is closed (the client left), the run is closed
            # first, so it has billed what the stream produced before the flight settles.
            call = ChunkStreamCall(self.session, request, needs.prompt_tokens)
            async with contextlib.aclosing(run.stream(call)) as batches:
                async for batch in batches:
                    if assembled is not None:
                        assembled.add(batch)
                    answered = answered or chunks_answer(batch)
                    headers = None
                    if first:
                        first = False
                        headers = answer_headers(planned, run.outcome, request)
                        headers.update(admission.headers)
                    yield headers, batch
            # The stream ended as the provider meant it to (a cut one raised above).
            self._learn(run.outcome, request, empty=not answered)

    # ------------------------------------------------------------------ learning

    def _learn(self, outcome: Outcome, request: ChatRequest, *, empty: bool) -> None:
        """Tell routing how the model that served answered at this request's budget:
        an empty answer marks the model for requests with no larger ``max_tokens``
        (pre-dispatch qualification); an answer with content may clear the mark."""
        served = outcome.served
        if served is None:
            return
        usage = served.usage
        self.planner.empty_budgets.observe(
            f"{served.provider}/{served.model}",
            request.max_output,
            empty=empty,
            completion_tokens=usage.completion_tokens if usage is not None else None,
        )


def _cached(hit: Completion) -> Cached:
    """What the ledger records of a cache hit: what the stored answer says served it."""
    meta = hit.metadata
    return Cached(hit.model, (meta.provider or None) if meta else None, hit.usage)

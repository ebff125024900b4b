"""The chat service: what both gRPC servicers call, around routing.

For every request, in this order: plan the route (404/403/422 need no I/O); admit it
(the governor checks rate limits and reserves the worst-case cost against budgets, so a
hard budget is never overspent by concurrent requests); answer from the exact-match cache
or run the failover (:mod:`gate_service.routing.runner`, with the chat attempts of
:mod:`gate_service.chat.attempts`); shape the answer from the run's outcome
(:mod:`gate_service.chat.answer`); settle the reservation to the real cost, or release it
on failure; and hand one record to the ledger (write-behind: never blocks the request).

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

**Shutdown** (:meth:`ChatService.drain`): requests in flight get the grace period to
finish; then each one still running is ended through its deadline (a stream gets one
error event and ``[DONE]`` from the bridge), and requests that arrive later are refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncGenerator
from typing import Any

import aiohttp

from gate_service.auth.principal import Principal
from gate_service.cache import ResponseCache, cache_key, cacheable, prepare_hit
from gate_service.chat.answer import fallback_headers, shape_completion
from gate_service.chat.attempts import ChunkStreamCall, CompletionCall, chat_route
from gate_service.chat.record import ledger_entry
from gate_service.chat.replay import completion_to_chunks
from gate_service.deadline import SHUTDOWN, Deadline
from gate_service.domain import ChatRequest, Chunk, Completion
from gate_service.errors import GateError
from gate_service.governance.admission import Governor, NullGovernor
from gate_service.ledger.entry import Ledger, NullLedger
from gate_service.metrics import Metrics
from gate_service.routing.outcome import Outcome, RequestContext
from gate_service.routing.plan import Planned
from gate_service.routing.planning import worst_case_usd
from gate_service.routing.router import Router
from gate_service.routing.runner import Run

Chunks = tuple[dict[str, str] | None, list[Chunk]]
# How long ended requests get, after the grace, to write their last event and settle.
_LAST_WORDS_S = 5.0


class ChatService:
    def __init__(
        self,
        router: Router,
        session: aiohttp.ClientSession,
        cache: ResponseCache | None,
        governor: Governor | None = None,
        ledger: Ledger | None = None,
        metrics: Metrics | None = None,
        *,
        default_timeout_s: float = 60.0,
    ) -> None:
        self.router = router
        self.session = session
        self.default_timeout_s = default_timeout_s
        self.cache = cache
        self.governor: Governor = governor or NullGovernor()
        self.ledger: Ledger = ledger or NullLedger()
        self.metrics = metrics
        # The deadline of every request in flight: shutdown ends them through it.
        self._in_flight: set[Deadline] = set()
        self._idle: asyncio.Event | None = None
        # Set when the shutdown grace ran out: a request arriving now is ended at once.
        self._ending = False

    # ------------------------------------------------------------------ in flight

    def _enter(self, ctx: RequestContext) -> None:
        if self._ending:
            ctx.deadline.ended = SHUTDOWN
        self._in_flight.add(ctx.deadline)

    def _leave(self, ctx: RequestContext) -> None:
        self._in_flight.discard(ctx.deadline)
        if not self._in_flight and self._idle is not None:
            self._idle.set()

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def drain(self, grace_s: float) -> int:
        """Shutdown: let the requests in flight finish within ``grace_s`` seconds, then
        end the rest (each is billed for what it produced and recorded as ``shutdown``;
        a stream ends with one error event and ``[DONE]``). Returns how many were ended."""
        self._idle = asyncio.Event()
        if self._in_flight:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), grace_s)
        self._ending = True
        ended = list(self._in_flight)
        for deadline in ended:
            deadline.end(SHUTDOWN)
        if self._in_flight:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), _LAST_WORDS_S)
        return len(ended)

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

    async def _admit(
        self, principal: Principal, ctx: RequestContext, request: ChatRequest
    ) -> tuple[list[Planned], Any]:
        """Plan the route, then charge limits and reserve the plan's worst-case cost."""
        try:
            planned = self.router.planner.prepare(ctx, request)
        except GateError as exc:
            await self.report_limits(principal, exc)  # the admit below reports its own
            raise
        admission = await self.governor.admit(principal, worst_case_usd(planned, request))
        return planned, admission

    def _run(self, ctx: RequestContext, request: ChatRequest, planned: list[Planned]) -> Run:
        route = chat_route(request, planned, ctx.deadline, self.default_timeout_s)
        return self.router.runner.run(route)

    async def report_limits(self, principal: Principal, exc: GateError) -> None:
        """A request refused before admission (scope, validation, plan: 400, 403, 404,
        422) is still an authenticated answer: it carries the token's limits as they
        stand. Asked only on this error path, so a served request costs no extra read."""
        exc.headers = {**await self.governor.peek(principal), **exc.headers}

    # ------------------------------------------------------------------ unary

    async def complete(
        self, principal: Principal, ctx: RequestContext, request: ChatRequest
    ) -> tuple[Completion, dict[str, str]]:
        started = time.perf_counter()
        admission = None
        run: Run | None = None
        self._enter(ctx)
        try:
            planned, admission = await self._admit(principal, ctx, request)
            key, ttl, hit = await self._hit(ctx, request)
            if hit is not None:
                await self.governor.settle(admission, 0.0)
                self._record(principal, ctx, request, started, 200, hit=hit)
                return hit, dict(admission.headers)
            run = self._run(ctx, request, planned)
            completion = await run.unary(CompletionCall(self.session, request))
        except GateError as exc:
            await self._fail(principal, ctx, request, started, admission, exc, _outcome(run))
            raise
        except BaseException:
            # A bug or a cancelled call: never keep budget reserved for an answer that
            # will not come (settle what was served, if anything).
            await self._abandon(
                principal, ctx, request, started, admission, _outcome(run), streamed=False
            )
            raise
        finally:
            self._leave(ctx)
        outcome = run.outcome
        completion, headers = shape_completion(completion, outcome, planned, request, ctx)
        await self.governor.settle(admission, outcome.cost_usd)
        if key is not None and self.cache is not None:
            await self.cache.set(key, dataclasses.replace(completion, route_trace=[]), ttl)
        self._record(principal, ctx, request, started, 200, outcome)
        return completion, {**headers, **admission.headers}

    # ------------------------------------------------------------------ streaming

    async def stream(
        self, principal: Principal, ctx: RequestContext, request: ChatRequest
    ) -> AsyncGenerator[Chunks]:
        started = time.perf_counter()
        admission = None
        run: Run | None = None
        self._enter(ctx)
        try:
            planned, admission = await self._admit(principal, ctx, request)
            _, _, hit = await self._hit(ctx, request)
            if hit is not None:
                wants_usage = request.wants_usage
                await self.governor.settle(admission, 0.0)
                self._record(principal, ctx, request, started, 200, hit=hit, streamed=True)
                yield dict(admission.headers), completion_to_chunks(hit, include_usage=wants_usage)
                return
            run = self._run(ctx, request, planned)
            first = True
            # aclosing: when this generator is closed (the client left), the run is closed
            # first, so it has billed what the stream produced before we settle.
            call = ChunkStreamCall(self.session, request)
            async with contextlib.aclosing(run.stream(call)) as batches:
                async for batch in batches:
                    headers = None
                    if first:
                        first = False
                        headers = {**fallback_headers(planned, run.outcome), **admission.headers}
                    yield headers, batch
        except GateError as exc:
            outcome = _outcome(run)
            await self._fail(
                principal, ctx, request, started, admission, exc, outcome, streamed=True
            )
            raise
        except BaseException:
            # The client went away (cancellation): settle what the stream produced and
            # record the request as cut short.
            await self._abandon(
                principal, ctx, request, started, admission, _outcome(run), streamed=True
            )
            raise
        finally:
            self._leave(ctx)
        await self.governor.settle(admission, run.outcome.cost_usd)
        self._record(principal, ctx, request, started, 200, run.outcome, streamed=True)

    # ------------------------------------------------------------------ endings

    async def _abandon(
        self,
        principal: Principal,
        ctx: RequestContext,
        request: ChatRequest,
        started: float,
        admission: Any,
        outcome: Outcome,
        *,
        streamed: bool,
    ) -> None:
        if admission is not None:
            if outcome.served is not None:
                await self.governor.settle(admission, outcome.served.cost_usd)
            else:
                await self.governor.release(admission)
        # Cancelled while shutting down (the server's own grace ran out first), or the
        # client left.
        shutdown = self._ending or ctx.deadline.ended == SHUTDOWN
        status, code = (503, SHUTDOWN) if shutdown else (499, "client_closed")
        self._record(
            principal, ctx, request, started, status, outcome, error_code=code, streamed=streamed
        )

    async def _fail(
        self,
        principal: Principal,
        ctx: RequestContext,
        request: ChatRequest,
        started: float,
        admission: Any,
        exc: GateError,
        outcome: Outcome,
        *,
        streamed: bool = False,
    ) -> None:
        if admission is not None:
            if outcome.cost_usd:
                # A stream that failed after it started was still paid for.
                await self.governor.settle(admission, outcome.cost_usd)
            else:
                await self.governor.release(admission)
            exc.headers = {**admission.headers, **exc.headers}
        self._record(
            principal,
            ctx,
            request,
            started,
            exc.http_status,
            outcome,
            error_code=SHUTDOWN if ctx.deadline.ended == SHUTDOWN else exc.code,
            streamed=streamed,
        )

    def _record(
        self,
        principal: Principal,
        ctx: RequestContext,
        request: ChatRequest,
        started: float,
        status: int,
        outcome: Outcome | None = None,
        *,
        error_code: str | None = None,
        hit: Completion | None = None,
        streamed: bool = False,
    ) -> None:
        if isinstance(self.ledger, NullLedger) and self.metrics is None:
            return
        entry = ledger_entry(
            principal,
            ctx,
            request,
            alias=self.router.planner.is_alias(request.model),
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            status=status,
            outcome=outcome or Outcome(),
            error_code=error_code,
            hit=hit,
            streamed=streamed,
        )
        self.ledger.record(entry)
        if self.metrics is not None:
            self.metrics.observe_request(entry)


def _outcome(run: Run | None) -> Outcome:
    """The run's outcome, or an empty one when the request ended before routing began."""
    return run.outcome if run is not None else Outcome()

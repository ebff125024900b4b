"""The chat service: what both gRPC servicers call, around the router.

For every request, in this order: plan the route (404/403/422 need no I/O); admit it
(the governor checks rate limits and reserves the worst-case cost against budgets, so a
hard budget is never overspent by concurrent requests); answer from the exact-match cache
or the router; settle the reservation to the real cost, or release it on failure; and
hand one record to the ledger (write-behind: never blocks the request).

The cache: a hit answers with the stored completion marked ``cache_hit: true`` and
``cost_usd: 0`` (the key includes the brand, so one brand never gets another's answer).
Only whole completions are stored: a streaming request is served from a hit (replayed
as chunks) but a streamed answer is not stored.

**How a request ends** is what the ledger records: served (200), refused or failed (the
error's status and code), or cut short. A stream cut short is billed for what it produced
(the router meters it: see :class:`~gate_service.routing.outcome.Meter`), settled against
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
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from gate_service.auth.principal import Principal
from gate_service.cache import ResponseCache, cache_key, cacheable, prepare_hit
from gate_service.chat.replay import completion_to_chunks
from gate_service.deadline import SHUTDOWN, Deadline
from gate_service.domain import ChatRequest, Chunk, Completion
from gate_service.errors import GateError
from gate_service.governance.admission import Governor, NullGovernor
from gate_service.ledger import LedgerEntry
from gate_service.ledger.entry import Ledger, NullLedger
from gate_service.metrics import Metrics
from gate_service.routing.plan import Planned
from gate_service.routing.router import RequestContext, Router

Chunks = tuple[dict[str, str] | None, list[Chunk]]
# How long ended requests get, after the grace, to write their last event and settle.
_LAST_WORDS_S = 5.0


class ChatService:
    def __init__(
        self,
        router: Router,
        cache: ResponseCache | None,
        governor: Governor | None = None,
        ledger: Ledger | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.router = router
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
            planned = self.router.prepare(ctx, request)
        except GateError as exc:
            await self.report_limits(principal, exc)  # the admit below reports its own
            raise
        admission = await self.governor.admit(
            principal, self.router.worst_case_usd(planned, request)
        )
        return planned, admission

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
        self._enter(ctx)
        try:
            planned, admission = await self._admit(principal, ctx, request)
            key, ttl, hit = await self._hit(ctx, request)
            if hit is not None:
                await self.governor.settle(admission, 0.0)
                self._record(principal, ctx, request, started, 200, hit=hit)
                return hit, dict(admission.headers)
            completion, headers = await self.router.complete(ctx, request, planned)
        except GateError as exc:
            await self._fail(principal, ctx, request, started, admission, exc)
            raise
        except BaseException:
            # A bug or a cancelled call: never keep budget reserved for an answer that
            # will not come (settle what was served, if anything).
            await self._abandon(principal, ctx, request, started, admission, streamed=False)
            raise
        finally:
            self._leave(ctx)
        cost = ctx.served.cost_usd if ctx.served else 0.0
        await self.governor.settle(admission, cost)
        if key is not None and self.cache is not None:
            await self.cache.set(key, dataclasses.replace(completion, route_trace=[]), ttl)
        self._record(principal, ctx, request, started, 200)
        return completion, {**headers, **admission.headers}

    # ------------------------------------------------------------------ streaming

    async def stream(
        self, principal: Principal, ctx: RequestContext, request: ChatRequest
    ) -> AsyncIterator[Chunks]:
        started = time.perf_counter()
        admission = None
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
            first = True
            # aclosing: when this generator is closed (the client left), the router's is
            # closed first, so it has billed what the stream produced before we settle.
            async with contextlib.aclosing(self.router.stream(ctx, request, planned)) as chunks:
                async for headers, batch in chunks:
                    if first:
                        first = False
                        headers = {**(headers or {}), **admission.headers}
                    yield headers, batch
        except GateError as exc:
            await self._fail(principal, ctx, request, started, admission, exc, streamed=True)
            raise
        except BaseException:
            # The client went away (cancellation): settle what the stream produced and
            # record the request as cut short.
            await self._abandon(principal, ctx, request, started, admission, streamed=True)
            raise
        finally:
            self._leave(ctx)
        cost = ctx.served.cost_usd if ctx.served else 0.0
        await self.governor.settle(admission, cost)
        self._record(principal, ctx, request, started, 200, streamed=True)

    # ------------------------------------------------------------------ outcomes

    async def _abandon(
        self,
        principal: Principal,
        ctx: RequestContext,
        request: ChatRequest,
        started: float,
        admission: Any,
        *,
        streamed: bool,
    ) -> None:
        if admission is not None:
            if ctx.served is not None:
                await self.governor.settle(admission, ctx.served.cost_usd)
            else:
                await self.governor.release(admission)
        # Cancelled while shutting down (the server's own grace ran out first), or the
        # client left.
        shutdown = self._ending or ctx.deadline.ended == SHUTDOWN
        status, code = (503, SHUTDOWN) if shutdown else (499, "client_closed")
        self._record(principal, ctx, request, started, status, error_code=code, streamed=streamed)

    async def _fail(
        self,
        principal: Principal,
        ctx: RequestContext,
        request: ChatRequest,
        started: float,
        admission: Any,
        exc: GateError,
        *,
        streamed: bool = False,
    ) -> None:
        if admission is not None:
            if ctx.served is not None and ctx.served.cost_usd:
                # A stream that failed after it started was still paid for.
                await self.governor.settle(admission, ctx.served.cost_usd)
            else:
                await self.governor.release(admission)
            exc.headers = {**admission.headers, **exc.headers}
        self._record(
            principal,
            ctx,
            request,
            started,
            exc.http_status,
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
        *,
        error_code: str | None = None,
        hit: Completion | None = None,
        streamed: bool = False,
    ) -> None:
        if isinstance(self.ledger, NullLedger) and self.metrics is None:
            return
        served = ctx.served
        usage = hit.usage if hit else (served.usage if served else None)
        meta = hit.metadata if hit else None
        requested = request.model
        entry = LedgerEntry(
            request_id=ctx.request_id,
            client_id=principal.client_id,
            token_id=principal.token_id,
            agent_name=principal.agent_name,
            requested_model=requested,
            alias=requested if self.router.is_alias(requested) else None,
            served_model=hit.model if hit else (served.model if served else None),
            provider=(meta.provider or None if meta else None)
            if hit
            else (served.provider if served else None),
            key_id=served.key_id if served and not hit else None,
            key_preview=served.key_preview if served and not hit else None,
            status=status,
            error_code=error_code,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
            ttft_ms=served.ttft_ms if served and not hit else None,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            cached_tokens=(usage.cached_tokens or 0) if usage else 0,
            reasoning_tokens=(usage.reasoning_tokens or 0) if usage else 0,
            cost_usd=0.0 if hit else (served.cost_usd if served else 0.0),
            streamed=streamed,
            cache_hit=hit is not None,
            fallback_chain=[f"{a.provider}:{a.model}" for a in ctx.attempts],
            attempts=list(ctx.attempts),
            created_at=datetime.now(UTC),
        )
        self.ledger.record(entry)
        if self.metrics is not None:
            self.metrics.observe_request(entry)

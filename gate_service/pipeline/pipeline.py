"""The request pipeline: what every kind of call (chat, and next embeddings, images,
speech, transcription) needs around its own work, written once.

For every request, in this order: plan its route (the service's own, no I/O); admit it
(the governor checks rate limits and reserves the worst-case cost against budgets, so a
hard budget is never overspent by concurrent requests); run the failover
(:mod:`gate_service.routing.runner`); settle the reservation to the real cost, or
release it on failure; and hand one record to the ledger (write-behind: never blocks
the request) and to the metrics. A service opens a :class:`~gate_service.pipeline.flight.Flight`
per request and does its part inside it; the flight ends the request however it ends.

**Shutdown** (:meth:`Pipeline.drain`): every request in flight, of whatever kind, gets
the grace period to finish; then each one still running is ended through its deadline
(a stream gets one error event and ``[DONE]`` from the bridge, billed for what it
produced and recorded as ``shutdown``), and requests that arrive later are refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Sequence
from datetime import datetime

from gate_service.auth.principal import Principal
from gate_service.capture.content import CapturedContent, CapturePolicy, StreamAssembler
from gate_service.deadline import SHUTDOWN, Deadline
from gate_service.errors import GateError
from gate_service.governance.admission import Governor, NullGovernor
from gate_service.ledger.entry import Ledger, NullLedger
from gate_service.ledger.record import RequestKind
from gate_service.metrics import Metrics
from gate_service.pipeline.flight import Flight
from gate_service.pipeline.record import Cached, request_record
from gate_service.routing.outcome import Outcome, RequestContext
from gate_service.routing.router import Router
from gate_service.telemetry.observers import RecordObserver

# How long ended requests get, after the grace, to write their last event and settle.
_LAST_WORDS_S = 5.0


class Pipeline:
    """Admission, budget settlement, the ledger record and metrics, and shutdown, for
    every kind of call; routing through the shared :class:`Router`."""

    def __init__(
        self,
        router: Router,
        governor: Governor | None = None,
        ledger: Ledger | None = None,
        metrics: Metrics | None = None,
        observers: Sequence[RecordObserver] = (),
    ) -> None:
        self.router = router
        self.governor: Governor = governor or NullGovernor()
        self.ledger: Ledger = ledger or NullLedger()
        self.metrics = metrics
        # What else sees each finished request (gate_service/telemetry: OpenTelemetry
        # spans, the access log); none by default, and then the record costs nothing more.
        self.observers = tuple(observers)
        # The deadline of every request in flight: shutdown ends them through it.
        self._in_flight: set[Deadline] = set()
        self._idle: asyncio.Event | None = None
        # Set when the shutdown grace ran out: a request arriving now is ended at once.
        self.ending = False

    def flight(
        self,
        principal: Principal,
        ctx: RequestContext,
        model: str,
        *,
        streamed: bool,
        kind: RequestKind = "chat",
    ) -> Flight:
        """One request's passage: use it as ``async with pipeline.flight(...) as flight``.
        ``model`` is the model the caller asked for and ``kind`` the kind of call, as the
        ledger records them."""
        return Flight(self, principal, ctx, model, streamed=streamed, kind=kind)

    async def report_limits(self, principal: Principal, exc: GateError) -> None:
        """A request refused before admission (scope, validation, plan: 400, 403, 404,
        422) is still an authenticated answer: it carries the token's limits as they
        stand. Asked only on this error path, so a served request costs no extra read."""
        exc.headers = {**await self.governor.peek(principal), **exc.headers}

    # ------------------------------------------------------------------ in flight

    def _enter(self, deadline: Deadline) -> None:
        if self.ending:
            deadline.ended = SHUTDOWN
        self._in_flight.add(deadline)

    def _leave(self, deadline: Deadline) -> None:
        self._in_flight.discard(deadline)
        if not self._in_flight and self._idle is not None:
            self._idle.set()

    @property
    def in_flight(self) -> int:
        """Requests of every kind between admission's start and their ending."""
        return len(self._in_flight)

    async def drain(self, grace_s: float) -> int:
        """Shutdown: let the requests in flight finish within ``grace_s`` seconds, then
        end the rest (each is billed for what it produced and recorded as ``shutdown``;
        a stream ends with one error event and ``[DONE]``). Returns how many were ended."""
        self._idle = asyncio.Event()
        if self._in_flight:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), grace_s)
        self.ending = True
        ended = list(self._in_flight)
        for deadline in ended:
            deadline.end(SHUTDOWN)
        if self._in_flight:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), _LAST_WORDS_S)
        return len(ended)

    # ------------------------------------------------------------------ the record

    def record(
        self,
        flight: Flight,
        status: int,
        outcome: Outcome,
        *,
        error_code: str | None = None,
        cached: Cached | None = None,
    ) -> None:
        """Hand how ``flight`` ended to the ledger and the metrics (called once per
        request, by the flight)."""
        if isinstance(self.ledger, NullLedger) and self.metrics is None and not self.observers:
            return
        plan_ms, admission_ms = flight.timings
        entry = request_record(
            flight.principal,
            flight.ctx,
            requested_model=flight.model,
            alias=self.router.planner.is_alias(flight.model),
            kind=flight.kind,
            streamed=flight.streamed,
            latency_ms=round((time.perf_counter() - flight.started) * 1000, 3),
            status=status,
            outcome=outcome,
            error_code=error_code,
            cached=cached,
            plan_ms=plan_ms,
            admission_ms=admission_ms,
        )
        if flight.captured_input is not None:
            entry = dataclasses.replace(entry, content=_sealed(flight, entry.created_at))
        if not self.observers:
            self.ledger.record(entry)
        else:
            written = time.perf_counter()
            self.ledger.record(entry)
            ledger_ms = (time.perf_counter() - written) * 1000
            for observe in self.observers:
                observe(entry, flight.ctx, ledger_ms)
        if self.metrics is not None:
            self.metrics.observe_request(entry)


def _sealed(flight: Flight, created_at: datetime) -> CapturedContent:
    """The flight's captured messages, redacted and cut under its brand's settings."""
    brand = flight.principal.brand_controls
    policy = CapturePolicy(brand.capture_max_chars, brand.capture_retention_days)
    out = flight.captured_output
    outputs = out.messages() if isinstance(out, StreamAssembler) else out
    return policy.seal(flight.captured_input or [], outputs, created_at)

"""One request on its way through the pipeline, whatever kind of call it is: admitted,
routed, and ended exactly once.

A service writes only what its kind of call does, inside the flight::

    async with pipeline.flight(principal, ctx, request.model, streamed=False) as flight:
        planned = ...                                  # plan: no I/O (404, 403, 422)
        admission = await flight.admit(worst_case_usd) # limits charged, budget reserved
        run = flight.run(route)                        # the failover (routing.runner)
        value = await run.unary(call)                  # or: async for item in run.stream(call)
    ...shape the answer, add admission.headers...

and the flight ends it however the block is left (:meth:`Flight.__aexit__`):

- **served** (the block returns): the reservation is settled to what the run cost;
- **refused or failed** (a ``GateError``): a request refused before admission carries
  the token's limits as they stand; after admission, the reservation is released — or
  settled, when the upstream already billed part of the answer (a stream that broke
  after it started) — and the admission's headers go on the error;
- **cut short** (anything else: the client left, the call was cancelled, a bug): what
  the upstream produced is settled, else the reservation is released, and the request
  is recorded as ``client_closed`` (499) or ``shutdown`` (503).

Each ending writes one ledger record and one metrics observation. When content capture is
on for the caller (``Principal.captures``), the service hands the flight the request's
messages (:meth:`Flight.capture_input`) and what it answered (:meth:`Flight.capture_output`);
the record carries them, redacted and cut (docs/capture.md). A request that ends before
its answer keeps its input and whatever output was captured. A flight ended early
(:meth:`Flight.finish`: a stream that answered from the cache before its first item went
out) is not ended again when its block is left.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING

from gate_service.auth.principal import Principal
from gate_service.capture.content import StreamAssembler
from gate_service.deadline import SHUTDOWN
from gate_service.domain import Json
from gate_service.errors import GateError
from gate_service.governance.admission import Admission
from gate_service.ledger.record import RequestKind
from gate_service.pipeline.record import Cached
from gate_service.routing.outcome import Outcome, RequestContext
from gate_service.routing.runner import Route, Run

if TYPE_CHECKING:
    from gate_service.pipeline.pipeline import Pipeline


class Flight:
    """One request from admission to its one ending (see the module docstring)."""

    __slots__ = (
        "_admit_started",
        "_admitted",
        "_admitting",
        "_cached",
        "_ended",
        "_pipeline",
        "_run",
        "admission",
        "captured_input",
        "captured_output",
        "ctx",
        "kind",
        "model",
        "principal",
        "started",
        "streamed",
    )

    def __init__(
        self,
        pipeline: Pipeline,
        principal: Principal,
        ctx: RequestContext,
        model: str,
        *,
        streamed: bool,
        kind: RequestKind = "chat",
    ) -> None:
        self._pipeline = pipeline
        self.principal = principal
        self.ctx = ctx
        # The model the caller asked for (an alias, a model id): what the ledger records.
        self.model = model
        self.streamed = streamed
        self.kind = kind
        self.started = time.perf_counter()
        self.admission: Admission | None = None
        self._run: Run | None = None
        self._cached: Cached | None = None
        self._admitting = False
        self._admit_started: float | None = None
        self._admitted: float | None = None
        self._ended = False
        # The messages captured for the trace; None unless the service captured them.
        self.captured_input: list[Json] | None = None
        self.captured_output: list[Json] | StreamAssembler = []

    async def __aenter__(self) -> Flight:
        self._pipeline._enter(self.ctx.deadline)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._ended:
                return
            if exc is None:
                await self.finish()
            elif isinstance(exc, GateError):
                await self._fail(exc)
            else:
                await self._abandon()
        finally:
            # Left only once ended: shutdown's drain waits for the request's record.
            self._pipeline._leave(self.ctx.deadline)

    # ------------------------------------------------------------------ the steps

    async def admit(self, worst_case_usd: float) -> Admission:
        """Charge the token's rate limits and reserve ``worst_case_usd`` against its
        budgets (so concurrent requests never overspend a hard budget), or raise the
        governor's ``GateError`` (429, 402, 503). Call it once, after planning."""
        self._admitting = True
        self._admit_started = time.perf_counter()
        self.admission = await self._pipeline.governor.admit(self.principal, worst_case_usd)
        self._admitted = time.perf_counter()
        return self.admission

    @property
    def timings(self) -> tuple[float | None, float | None]:
        """How long planning (flight start to admission) and admission took, in ms; None
        for a step the request did not reach."""
        if self._admit_started is None:
            return None, None
        plan = round((self._admit_started - self.started) * 1000, 3)
        if self._admitted is None:
            return plan, None
        return plan, round((self._admitted - self._admit_started) * 1000, 3)

    def run(self, route: Route) -> Run:
        """Start the failover over ``route``; the flight reads its outcome when it ends."""
        self._run = self._pipeline.router.runner.run(route)
        return self._run

    def cached(self, answer: Cached) -> None:
        """The request is answered from the cache: billed nothing, recorded as a hit."""
        self._cached = answer

    def capture_input(self, messages: list[Json]) -> None:
        """Keep the request's messages for its trace (only when the caller captures)."""
        self.captured_input = messages

    def capture_output(self, messages: list[Json] | StreamAssembler) -> None:
        """Keep the answer's messages for its trace (only when the caller captures); a
        stream's assembler is read when the flight ends."""
        self.captured_output = messages

    @property
    def outcome(self) -> Outcome:
        """The run's outcome, or an empty one when the request ended before routing."""
        return self._run.outcome if self._run is not None else Outcome()

    async def finish(self) -> None:
        """End the flight as served now: settle the reservation to what the run cost
        (nothing for a cached answer) and record it. Leaving the block does this too;
        call it to end before the block ends (a stream about to yield its cached answer)."""
        self._ended = True
        outcome = self.outcome
        if self.admission is not None:
            await self._pipeline.governor.settle(self.admission, outcome.cost_usd)
        self._pipeline.record(self, 200, outcome, cached=self._cached)

    # ------------------------------------------------------------------ endings

    async def _fail(self, exc: GateError) -> None:
        self._ended = True
        pipeline, admission, outcome = self._pipeline, self.admission, self.outcome
        if admission is not None:
            if outcome.cost_usd:
                # A stream that failed after it started was still paid for.
                await pipeline.governor.settle(admission, outcome.cost_usd)
            else:
                await pipeline.governor.release(admission)
            exc.headers = {**admission.headers, **exc.headers}
        elif not self._admitting:
            # Refused before admission (the plan: 404, 403, 422): the governor's own
            # refusals carry their headers already.
            await pipeline.report_limits(self.principal, exc)
        code = SHUTDOWN if self.ctx.deadline.ended == SHUTDOWN else exc.code
        pipeline.record(self, exc.http_status, outcome, error_code=code)

    async def _abandon(self) -> None:
        # A bug, a cancelled call, or a stream the client left: never keep budget
        # reserved for an answer that will not come; settle what was served, if anything.
        self._ended = True
        pipeline, admission, outcome = self._pipeline, self.admission, self.outcome
        if admission is not None:
            if outcome.served is not None:
                await pipeline.governor.settle(admission, outcome.served.cost_usd)
            else:
                await pipeline.governor.release(admission)
        # Cancelled while shutting down (the server's own grace ran out first), or the
        # client left.
        shutdown = pipeline.ending or self.ctx.deadline.ended == SHUTDOWN
        status, code = (503, SHUTDOWN) if shutdown else (499, "client_closed")
        pipeline.record(self, status, outcome, error_code=code)

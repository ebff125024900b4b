"""The failover loop, written once: try a request's candidates and keys in order until
one answers, by the rules of vault-and-routing.md ("Fallback rules"), and give back what
happened as an :class:`~gate_service.routing.outcome.Outcome`.

The loop does not know what an attempt does. A unary :class:`Call` (a chat completion
today; an embedding, an image, speech or a transcription next) answers with a
:class:`Reply`; a :class:`StreamCall` opens a stream (:class:`Opened`) whose items the
loop hands on as they come. Both are the same loop: a reply is a stream of one item that
the upstream accepted once it was whole. What the loop owns is every rule they share:

- **Each attempt** reserves the key (``KeyStates.reserve``: the key's outage ticket and
  its per-minute/day slot; with Redis, one round trip that may refuse the key because
  another replica learnt something, which the trace records as a skip) and hands the
  ticket back once: ``succeeded`` when the upstream accepted (a stream: at its headers),
  then ``failed`` for a failure, or ``released`` when the attempt ended without a
  verdict on the key (the caller left, the deadline passed, shutdown). A provider's text
  is redacted before it reaches the trace, an error or a log.
- **A failure's verdict**: 400-class → the client's 400, never retried; model not found
  → the candidate's other keys are skipped; anything else → next key, then next
  candidate (the order and ``retry_count``: :func:`~gate_service.routing.planning.tries`).
  When nothing is left: 502/503/504 listing every attempt.
- **The deadline** is checked before each attempt; a failure once it passed (or once
  shutdown ended the request) is not the key's fault: released, then 504 (503).
- **Streams** fail over invisibly until their first item went to the caller; after that a
  failure ends the stream with ``upstream_error``. From its first item on, the deadline
  no longer applies (a long answer may stream for minutes).
- **Billing**: an attempt the upstream accepted is priced from its usage and counted
  against the key's spend period (``health.spent``) however it ends — served, cut after
  its first item, ended by the deadline, or closed because the caller left — since the
  provider bills the account for it. A stream that fails over before its first item is
  not billed (the client got nothing from it).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from gate_service.catalog.schema import ModelInfo
from gate_service.deadline import Deadline, unbounded
from gate_service.domain import Usage
from gate_service.errors import GateError, invalid
from gate_service.providers.base import FailureKind, Target, UpstreamFailure, WireAdapter
from gate_service.routing.cost import cost_usd
from gate_service.routing.health import HealthBook
from gate_service.routing.keys import UsableKey
from gate_service.routing.keystates import KeyStates, Refused
from gate_service.routing.outcome import Attempt, Outcome, Served, all_failed, out_of_time, skipped
from gate_service.routing.plan import Planned
from gate_service.routing.planning import tries

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
# USD for what a served attempt used, at its candidate's prices (None: model unknown).
Price = Callable[[ModelInfo | None, Usage | None], float]
Redact = Callable[[UpstreamFailure, str], UpstreamFailure]


@dataclass(frozen=True, slots=True)
class Reply(Generic[T_co]):
    """A unary attempt's answer: its value, the upstream's response headers (the quota
    they report feeds key health) and its usage (what the account is billed)."""

    value: T_co
    headers: Mapping[str, str]
    usage: Usage | None = None


class Call(Protocol[T_co]):
    """One unary attempt: send the request to ``target`` through ``adapter`` within
    ``timeout_s`` (less if ``deadline`` leaves less); raise
    :class:`~gate_service.providers.base.UpstreamFailure` for a classified failure."""

    async def __call__(
        self, target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
    ) -> Reply[T_co]: ...


class Opened(Protocol[T_co]):
    """A stream the upstream accepted (its status and headers are in)."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    def items(self) -> AsyncGenerator[T_co]:
        """The items as they arrive; raises ``UpstreamFailure`` when the stream breaks."""
        ...

    def usage(self) -> Usage | None:
        """What the upstream produced so far (kept current item by item)."""
        ...

    def close(self) -> None: ...


class StreamCall(Protocol[T_co]):
    """One streaming attempt: open the stream (raise ``UpstreamFailure`` for a refusal)."""

    async def __call__(
        self, target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
    ) -> Opened[T_co]: ...


@dataclass(frozen=True, slots=True)
class Route:
    """What one request may try: its planned candidates, its overall deadline, the
    timeout of each attempt and the cap on upstream calls after the first."""

    planned: Sequence[Planned]
    deadline: Deadline = field(default_factory=unbounded)
    timeout_s: float = 60.0
    retry_count: int | None = None


class Runner:
    """The failover loop over the key health book and the wire-format adapters."""

    def __init__(
        self,
        health: HealthBook,
        redact: Redact,
        adapters: Mapping[str, WireAdapter],
        *,
        clock: Callable[[], float] = time.perf_counter,
        price: Price = cost_usd,
        states: KeyStates | None = None,
    ) -> None:
        self.health = health
        # The book alone (embedded), or the book mirroring the shared store (Redis).
        self.states = states or KeyStates(health)
        self.redact = redact
        self.adapters = adapters
        self.clock = clock
        self.price = price

    def run(self, route: Route) -> Run:
        """Start one request's failover; its outcome is readable from the start."""
        return Run(self, route)


class Run:
    """One request's failover and its :class:`Outcome` so far. The outcome is a value
    the caller reads whichever way the run ended (answered, failed, cancelled): the
    ledger records the attempts of a request that failed or was abandoned too."""

    def __init__(self, runner: Runner, route: Route) -> None:
        self._runner = runner
        self.route = route
        self.outcome = Outcome()
        self._started = runner.clock()

    async def unary(self, call: Call[T]) -> T:
        """The first answer any candidate gives (raises the request's ``GateError``)."""

        async def open_one(
            target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
        ) -> Opened[T]:
            return _Whole(await call(target, adapter, deadline, timeout_s))

        async with contextlib.aclosing(self._attempts(open_one, streaming=False)) as items:
            values = [value async for value in items]
        return values[0]

    def stream(self, call: StreamCall[T]) -> AsyncGenerator[T]:
        """The items of the first stream that delivers one. Close it (``aclose``) when
        the caller leaves: what the upstream produced is billed before it returns."""
        return self._attempts(call, streaming=True)

    # ------------------------------------------------------------------ the loop

    async def _attempts(self, call: StreamCall[T], *, streaming: bool) -> AsyncGenerator[T]:
        runner, route, outcome = self._runner, self.route, self.outcome
        health, deadline, attempts = runner.health, route.deadline, outcome.attempts
        states = runner.states
        skip_candidate = -1
        # ``retry_count`` caps the upstream calls after the first (None: no cap).
        calls_left = None if route.retry_count is None else route.retry_count + 1
        for index, target in tries(route.planned, health, attempts):
            if index == skip_candidate:
                continue
            if calls_left == 0:
                break
            if deadline.expired:
                raise out_of_time(deadline, attempts)
            cand = route.planned[index]
            adapter = runner.adapters[target.provider.api_format]
            t0 = runner.clock()
            ticket = await states.reserve(
                _usable(cand, target.key_id), target.provider.id, target.model
            )
            if isinstance(ticket, Refused):
                # Another replica learnt something about the key (or used its last slot).
                attempts.append(
                    skipped(target.provider.id, target.model, target.key_preview, ticket.reason)
                )
                if ticket.reason == "model_cooldown":
                    skip_candidate = index
                continue
            if calls_left is not None:
                calls_left -= 1
            opened: Opened[T] | None = None
            delivered = False
            try:
                opened = await call(target, adapter, deadline, route.timeout_s)
                try:
                    # From here on the provider bills the account for this attempt.
                    states.succeeded(target.key_id, opened.headers, ticket)
                    async with contextlib.aclosing(opened.items()) as items:
                        async for item in items:
                            if not delivered:
                                delivered = True
                                self._first(index, cand, target, streaming)
                            yield item
                finally:
                    opened.close()
            except UpstreamFailure as exc:
                failure = runner.redact(exc, target.secret)
                attempts.append(self._attempt(target, t0, failure))
                if deadline.expired:
                    # Cut short by the request's deadline or by shutdown: not the key's
                    # fault. What the provider produced is still billed.
                    states.released(target.key_id, ticket)
                    self._bill(cand, target, opened)
                    raise out_of_time(deadline, attempts) from None
                await states.failed(
                    target.key_id, failure, target.provider.id, target.model, ticket
                )
                if delivered:
                    self._bill(cand, target, opened)
                    raise GateError(
                        "upstream_error",
                        f"The upstream stream failed after it started: {failure.message}",
                    ) from None
                if failure.kind is FailureKind.BAD_REQUEST:
                    raise invalid(f"{target.provider.name}: {failure.message}") from None
                if failure.kind is FailureKind.MODEL_NOT_FOUND:
                    skip_candidate = index
                continue
            except BaseException:
                # The caller left (the call was cancelled, the stream closed), or a bug:
                # no verdict on the key; the provider still bills what it produced.
                states.released(target.key_id, ticket)
                self._bill(cand, target, opened)
                raise
            attempts.append(self._attempt(target, t0))
            self._bill(cand, target, opened)
            outcome.latency_ms = self._ms_since(self._started)
            return
        raise all_failed(attempts)

    def _first(self, index: int, cand: Planned, target: Target, streaming: bool) -> None:
        """The first item is on its way to the caller: this candidate serves."""
        ttft = None
        if streaming:
            self.route.deadline.first_chunk_sent()
            ttft = self._ms_since(self._started)
        self.outcome.index = index
        self.outcome.served = Served(
            target.provider.id, cand.item.model_id, target.key_id, target.key_preview, ttft_ms=ttft
        )

    def _bill(self, cand: Planned, target: Target, opened: Opened[Any] | None) -> None:
        """Price what an accepted attempt used, put it in the outcome and count it against
        the key's spend period. Nothing when the upstream never accepted the attempt."""
        if opened is None:
            return
        outcome = self.outcome
        if outcome.served is None:
            # Ended before its first item reached the caller: the prompt is still billed.
            outcome.served = Served(
                target.provider.id, cand.item.model_id, target.key_id, target.key_preview
            )
        served = outcome.served
        served.usage = opened.usage()
        served.cost_usd = self._runner.price(cand.item.model, served.usage)
        _record_spend(self._runner.health, cand, target.key_id, served.cost_usd)

    def _ms_since(self, t0: float) -> float:
        return round((self._runner.clock() - t0) * 1000, 3)

    def _attempt(
        self, target: Target, t0: float, failure: UpstreamFailure | None = None
    ) -> Attempt:
        """The trace record of one finished attempt."""
        latency = self._ms_since(t0)
        if failure is None:
            return Attempt(
                target.provider.id, target.model, target.key_preview, "success", 200, latency
            )
        return Attempt(
            provider=target.provider.id,
            model=target.model,
            key=target.key_preview,
            outcome="error",
            status=failure.status,
            latency_ms=latency,
            error_code=failure.kind.value,
            error_message=failure.message[:300],
        )


def _usable(cand: Planned, key_id: str) -> UsableKey:
    """The planned candidate's key with this id (its limits, where it comes from)."""
    return next(key for key in cand.keys if key.id == key_id)


def _record_spend(health: HealthBook, cand: Planned, key_id: str, usd: float) -> None:
    """Count the cost against the key's spend limit period (its block-spend limit stops
    the key from being picked once reached)."""
    for key in cand.keys:
        if key.id == key_id:
            health.spent(key_id, usd, key.limits.spend_period)
            return


class _Whole(Generic[T]):
    """A unary reply as a stream of one item, accepted once it was whole."""

    def __init__(self, reply: Reply[T]) -> None:
        self._reply = reply

    @property
    def headers(self) -> Mapping[str, str]:
        return self._reply.headers

    async def items(self) -> AsyncGenerator[T]:
        yield self._reply.value

    def usage(self) -> Usage | None:
        return self._reply.usage

    def close(self) -> None:
        pass

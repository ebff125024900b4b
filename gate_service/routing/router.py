"""The router: try the planned candidates and their keys in order, fail over per the rules
of vault-and-routing.md, and shape the answer (served model, metadata, trace, headers).

Streams fail over invisibly until the first chunk has been handed to the caller; after
that a failure ends the stream with an ``upstream_error`` (the bridge turns it into one
SSE error event and ``[DONE]``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable, Iterator, Mapping
from dataclasses import asdict

import aiohttp

from gate_service.catalog.snapshot import Catalog
from gate_service.domain import ChatRequest, Chunk, Completion, Metadata, RouteAttempt
from gate_service.errors import GateError, invalid
from gate_service.providers.base import FailureKind, Target, UpstreamFailure, WireAdapter
from gate_service.providers.transport import open_stream, post
from gate_service.routing.cost import cost_usd
from gate_service.routing.health import HealthBook
from gate_service.routing.keys import KeyPool, UsableKey, order_keys, resolve_base_url
from gate_service.routing.outcome import (
    Attempt,
    Meter,
    RequestContext,
    Served,
    all_failed,
    new_completion_id,
    out_of_time,
    rewrite_chunk,
    skipped,
    text_length,
)
from gate_service.routing.plan import (
    ModelControls,
    Planned,
    bound_prompt_tokens,
    estimate_prompt_tokens,
    plan,
    worst_cost,
)
from gate_service.routing.resolve import resolve

FALLBACK_HEADER = "X-SpiderGate-Fallback-From"


class Router:
    """Routes chat requests over the catalog snapshot and the key pool."""

    def __init__(
        self,
        catalog: Callable[[], Catalog],
        keys: KeyPool,
        adapters: Mapping[str, WireAdapter],
        session: aiohttp.ClientSession,
        *,
        default_timeout_s: float,
        health: HealthBook | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._catalog = catalog
        self._keys = keys
        self.health = health or HealthBook()
        self._adapters = adapters
        self._session = session
        self._default_timeout_s = default_timeout_s
        self._clock = clock

    # ------------------------------------------------------------------ planning

    def prepare(self, ctx: RequestContext, request: ChatRequest) -> list[Planned]:
        """Resolve and filter the chain (404, 403 model_not_allowed, 422): no I/O, so it
        runs before limits are charged and before any provider is called."""
        chain = resolve(self._catalog(), request.model, request.options.fallback_models)
        controls = ModelControls(request.model, ctx.allowed_models, ctx.free_only)
        return plan(chain, request, ctx.client_id, self._keys, self._adapters, controls)

    def is_alias(self, name: str) -> bool:
        return self._catalog().alias(name) is not None

    @staticmethod
    def worst_case_usd(planned: list[Planned], request: ChatRequest) -> float:
        """The most this request can cost, for budget reservation: a generous bound on the
        prompt plus ``max_tokens`` — or, without it, the model's whole output limit — at
        the dearest candidate that may serve it."""
        prompt = bound_prompt_tokens(request)
        max_out = request.max_output
        costs = [
            worst_cost(p.item.model, prompt, max_out or p.item.model.max_output_tokens)
            for p in planned
            if p.item.model
        ]
        return max(costs, default=0.0)

    def _timeout(self, request: ChatRequest) -> float:
        timeout_ms = request.options.timeout_ms
        return timeout_ms / 1000 if timeout_ms else self._default_timeout_s

    def _tries(
        self, planned: list[Planned], request: ChatRequest, attempts: list[Attempt]
    ) -> Iterator[tuple[int, Target]]:
        """(candidate index, target) in try order, decided lazily: a key's health may change
        with every answer. Healthy candidates go before degraded ones; models in cooldown and
        keys that may not be used now are recorded as skipped. ``retry_count`` caps the
        number of upstream calls after the first."""
        retry_count = request.options.retry_count
        budget = None if retry_count is None else retry_count + 1
        for index in self._candidate_order(planned):
            cand = planned[index]
            provider, model = cand.item.provider.id, cand.item.model_id
            if not self.health.model_available(provider, model):
                attempts.append(skipped(provider, model, "", "model_cooldown"))
                continue
            usable = order_keys(list(cand.keys), self.health)
            for key in cand.keys:
                if key not in usable:
                    reason = self.health.skip_reason(key.id)
                    attempts.append(skipped(provider, model, key.preview, reason))
            for key in usable:
                if not self.health.available(key.id, key.limits):
                    # Changed while an earlier key was tried (e.g. another request probes it).
                    reason = self.health.skip_reason(key.id)
                    attempts.append(skipped(provider, model, key.preview, reason))
                    continue
                if budget is not None:
                    if budget == 0:
                        return
                    budget -= 1
                yield index, self._target(cand, key)

    def _candidate_order(self, planned: list[Planned]) -> list[int]:
        """Candidates with a healthy key first, chain order otherwise kept (stable sort)."""
        now = self.health.clock()

        def rank(i: int) -> int:
            states = {self.health.key(k.id).state(now) for k in planned[i].keys}
            return 0 if "healthy" in states else 1

        return sorted(range(len(planned)), key=rank)

    @staticmethod
    def _target(cand: Planned, key: UsableKey) -> Target:
        return Target(
            provider=cand.item.provider,
            model=cand.item.model_id,
            base_url=resolve_base_url(cand.item.provider, key) or "",
            secret=key.secret,
            key_id=key.id,
            key_preview=key.preview,
        )

    # ------------------------------------------------------------------ unary

    async def complete(
        self, ctx: RequestContext, request: ChatRequest, planned: list[Planned] | None = None
    ) -> tuple[Completion, dict[str, str]]:
        """Serve a non-streaming request: the completion and response headers."""
        started = self._clock()
        planned = self.prepare(ctx, request) if planned is None else planned
        timeout = self._timeout(request)
        deadline = ctx.deadline
        attempts = ctx.attempts
        skip_candidate = -1
        for index, target in self._tries(planned, request, attempts):
            if index == skip_candidate:
                continue
            if deadline.expired:
                raise out_of_time(deadline, attempts)
            adapter = self._adapters[target.provider.api_format]
            t0 = self._clock()
            sent_at = self.health.sent(target.key_id)
            try:
                upstream = adapter.build_request(target, request, stream=False)
                resp = await post(self._session, upstream, timeout, deadline)
                if resp.status >= 400:
                    raise adapter.classify_error(resp.status, resp.headers, resp.body)
                completion = adapter.parse_response(target, resp.body)
            except UpstreamFailure as failure:
                failure = self._keys.redact(failure, target.secret)
                attempts.append(self._failed(target, failure, t0))
                if deadline.expired:
                    # Cut short by the request's deadline or by shutdown: not the key's fault.
                    self.health.released(target.key_id, sent_at)
                    raise out_of_time(deadline, attempts) from None
                self.health.failed(
                    target.key_id, failure, target.provider.id, target.model, sent_at=sent_at
                )
                if failure.kind is FailureKind.BAD_REQUEST:
                    raise invalid(f"{target.provider.name}: {failure.message}") from None
                if failure.kind is FailureKind.MODEL_NOT_FOUND:
                    skip_candidate = index
                continue
            except BaseException:
                # The client left (the call was cancelled): no verdict on the key.
                self.health.released(target.key_id, sent_at)
                raise
            self.health.succeeded(target.key_id, resp.headers, sent_at=sent_at)
            attempts.append(self._succeeded(target, t0))
            return self._finish(ctx, request, planned, index, target, completion, attempts, started)
        raise all_failed(attempts)

    def _finish(
        self,
        ctx: RequestContext,
        request: ChatRequest,
        planned: list[Planned],
        index: int,
        target: Target,
        completion: Completion,
        attempts: list[Attempt],
        started: float,
    ) -> tuple[Completion, dict[str, str]]:
        served = planned[index].item
        upstream_model = completion.model or target.model
        completion.id = new_completion_id()
        completion.object = "chat.completion"
        completion.model = served.model_id
        # An adapter that had no creation time leaves 0 (the dicts' missing key).
        completion.created = completion.created or int(time.time())
        meta = self._metadata(ctx, request, planned, index, upstream_model, started)
        meta.cost_usd = cost_usd(served.model, completion.usage)
        self._record_spend(planned[index], target.key_id, meta.cost_usd)
        ctx.served = Served(
            provider=target.provider.id,
            model=served.model_id,
            key_id=target.key_id,
            key_preview=target.key_preview,
            usage=completion.usage,
            cost_usd=meta.cost_usd,
        )
        completion.metadata = meta
        if ctx.include_route_trace:
            completion.route_trace = [RouteAttempt(**asdict(a)) for a in attempts]
        return completion, self._headers(planned, index)

    def _metadata(
        self,
        ctx: RequestContext,
        request: ChatRequest,
        planned: list[Planned],
        index: int,
        upstream_model: str,
        started: float,
    ) -> Metadata:
        return Metadata(
            provider=planned[index].item.provider.id,
            provider_model=upstream_model,
            latency_ms=round((self._clock() - started) * 1000, 3),
            cost_usd=0.0,
            cache_hit=False,
            fallback_used=index > 0,
            requested_model=request.model,
            request_id=ctx.request_id,
            original_model=planned[0].item.model_id if index > 0 else "",
        )

    def _record_spend(self, cand: Planned, key_id: str, usd: float) -> None:
        """Count the cost against the key's spend limit period."""
        for key in cand.keys:
            if key.id == key_id:
                self.health.spent(key_id, usd, key.limits.spend_period)
                return

    @staticmethod
    def _headers(planned: list[Planned], index: int) -> dict[str, str]:
        return {FALLBACK_HEADER: planned[0].item.model_id} if index > 0 else {}

    def _failed(self, target: Target, failure: UpstreamFailure, t0: float) -> Attempt:
        return Attempt(
            provider=target.provider.id,
            model=target.model,
            key=target.key_preview,
            outcome="error",
            status=failure.status,
            latency_ms=round((self._clock() - t0) * 1000, 3),
            error_code=failure.kind.value,
            error_message=failure.message[:300],
        )

    def _succeeded(self, target: Target, t0: float) -> Attempt:
        return Attempt(
            provider=target.provider.id,
            model=target.model,
            key=target.key_preview,
            outcome="success",
            status=200,
            latency_ms=round((self._clock() - t0) * 1000, 3),
        )

    # ------------------------------------------------------------------ streaming

    async def stream(
        self, ctx: RequestContext, request: ChatRequest, planned: list[Planned] | None = None
    ) -> AsyncGenerator[tuple[dict[str, str] | None, list[Chunk]]]:
        """Yield ``(headers, chunks)``: the chunks that arrived together; headers with the
        first batch only, then None.

        However the stream ends (completed, cut by the upstream, ended by shutdown, or
        closed because the client left: the generator is closed or cancelled), what it
        produced is billed: ``ctx.served`` carries the usage and cost (see :class:`Meter`).
        """
        started = self._clock()
        planned = self.prepare(ctx, request) if planned is None else planned
        timeout = self._timeout(request)
        deadline = ctx.deadline
        wants_usage = request.wants_usage
        completion_id = new_completion_id()
        prompt_tokens = estimate_prompt_tokens(request)
        attempts = ctx.attempts
        skip_candidate = -1
        for index, target in self._tries(planned, request, attempts):
            if index == skip_candidate:
                continue
            if deadline.expired:
                raise out_of_time(deadline, attempts)
            adapter = self._adapters[target.provider.api_format]
            cand = planned[index]
            served = cand.item.model_id
            t0 = self._clock()
            sent_at = self.health.sent(target.key_id)
            sent = False
            meter: Meter | None = None
            try:
                upstream = adapter.build_request(target, request, stream=True)
                resp = await open_stream(self._session, upstream, timeout, deadline)
                try:
                    if resp.status >= 400:
                        body = await resp.read_body()
                        raise adapter.classify_error(resp.status, resp.headers, body)
                    self.health.succeeded(target.key_id, resp.headers, sent_at=sent_at)
                    # The provider took the request: from here on it bills the account.
                    meter = Meter(cand.item.model, prompt_tokens)
                    decoder = adapter.stream_decoder(target)
                    finished = False
                    async for payloads in resp.events(timeout, deadline):
                        batch: list[Chunk] = []
                        broken: UpstreamFailure | None = None
                        for data in payloads:
                            try:
                                chunks = decoder.feed(data)
                            except UpstreamFailure as exc:
                                # What arrived before the bad event is good: send it first.
                                broken = exc
                                break
                            for chunk in chunks:
                                if chunk.usage is not None:
                                    meter.usage = chunk.usage
                                meter.chars += text_length(chunk)
                                out = rewrite_chunk(chunk, completion_id, served, wants_usage)
                                if out is not None:
                                    finished = finished or any(c.finish_reason for c in out.choices)
                                    batch.append(out)
                            if decoder.done:
                                break
                        if batch:
                            headers = None if sent else self._headers(planned, index)
                            if not sent:
                                sent = True
                                deadline.first_chunk_sent()
                                ttft = round((self._clock() - started) * 1000, 3)
                                ctx.served = Served(
                                    target.provider.id,
                                    served,
                                    target.key_id,
                                    target.key_preview,
                                    ttft_ms=ttft,
                                )
                            yield headers, batch
                        if broken is not None:
                            raise broken
                        if decoder.done:
                            break
                    if not (decoder.done or finished):
                        raise UpstreamFailure(
                            FailureKind.CONNECTION, 502, "upstream stream ended early"
                        )
                finally:
                    resp.close()
            except UpstreamFailure as failure:
                failure = self._keys.redact(failure, target.secret)
                attempts.append(self._failed(target, failure, t0))
                if deadline.expired:
                    # Ended by shutdown, or out of time before the first chunk: not the
                    # key's fault. What the provider produced is still billed.
                    self.health.released(target.key_id, sent_at)
                    self._bill(ctx, cand, target, meter)
                    raise out_of_time(deadline, attempts) from None
                self.health.failed(
                    target.key_id, failure, target.provider.id, target.model, sent_at=sent_at
                )
                if sent:
                    self._bill(ctx, cand, target, meter)
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
                # The client left (the generator was closed or its task cancelled), or a
                # bug: the provider still bills what it generated, so do we.
                self.health.released(target.key_id, sent_at)
                self._bill(ctx, cand, target, meter)
                raise
            attempts.append(self._succeeded(target, t0))
            self._bill(ctx, cand, target, meter)
            return
        raise all_failed(attempts)

    def _bill(
        self, ctx: RequestContext, cand: Planned, target: Target, meter: Meter | None
    ) -> None:
        """Put what a stream produced into ``ctx.served`` (usage and cost) and count it
        against the key's spend. Nothing when the provider never took the request."""
        if meter is None:
            return
        if ctx.served is None:
            # Ended before the first chunk reached the client: the prompt is still billed.
            ctx.served = Served(
                target.provider.id, cand.item.model_id, target.key_id, target.key_preview
            )
        ctx.served.usage = meter.final_usage()
        ctx.served.cost_usd = meter.cost_usd()
        self._record_spend(cand, target.key_id, ctx.served.cost_usd)

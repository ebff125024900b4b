"""The embeddings service: one embedding request through the request pipeline.

Everything every kind of call shares is the pipeline's (:mod:`gate_service.pipeline`):
admission (rate limits, the budget reservation from the worst case), the failover run
(pooling, key health, fallback models, provider preferences), settlement, the ledger
record (kind ``embedding``) and shutdown's drain. What is embeddings' own: the request's
needs (:mod:`gate_service.embeddings.needs`), the attempt
(:class:`~gate_service.embeddings.call.EmbeddingsCall`), the answer's metadata, and the
exact-match cache (:mod:`gate_service.embeddings.cache`): a hit is billed nothing.
"""

from __future__ import annotations

import aiohttp

from gate_service.auth.principal import Principal
from gate_service.cache import ResponseCache
from gate_service.chat.answer import fallback_headers
from gate_service.domain import Metadata
from gate_service.domain.embeddings import EmbeddingAnswer, EmbeddingRequest
from gate_service.embeddings.cache import EmbeddingsCache
from gate_service.embeddings.call import EmbeddingsCall, catalog_dimensions
from gate_service.embeddings.needs import estimate_prompt_tokens, needs_of
from gate_service.errors import GateError
from gate_service.pipeline import Cached, Pipeline
from gate_service.routing.outcome import RequestContext
from gate_service.routing.plan import key_required
from gate_service.routing.planning import worst_case_usd
from gate_service.routing.runner import Route


class EmbeddingsService:
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
        self.cache = EmbeddingsCache(cache)
        self.default_timeout_s = default_timeout_s

    async def embed(
        self, principal: Principal, ctx: RequestContext, request: EmbeddingRequest
    ) -> tuple[EmbeddingAnswer, dict[str, str]]:
        """The vectors and the response headers (or the request's ``GateError``)."""
        needs = needs_of(request)
        flight = self.pipeline.flight(
            principal, ctx, request.model, streamed=False, kind="embedding"
        )
        async with flight:
            try:
                planned = self.planner.prepare(ctx, needs)
            except GateError as exc:
                # Every candidate lacked only a key: name the provider to add one for.
                raise key_required(exc) from None
            admission = await flight.admit(worst_case_usd(planned, needs))
            key, ttl = self.cache.key(ctx.client_id, request)
            if key is not None and (hit := await self.cache.get(key, ctx.request_id)):
                meta = hit.metadata
                if meta is not None:
                    meta.requested_model = request.model
                flight.cached(Cached(hit.model, meta.provider if meta else None, hit.usage))
                return hit, dict(admission.headers)
            timeout_ms = request.options.timeout_ms
            route = Route(
                planned,
                ctx.deadline,
                timeout_ms / 1000 if timeout_ms else self.default_timeout_s,
                request.options.retry_count,
            )
            run = flight.run(route)
            call = EmbeddingsCall(
                self.session, request, estimate_prompt_tokens(request), catalog_dimensions(planned)
            )
            answer = await run.unary(call)
            outcome = run.outcome
            served, index = outcome.served, outcome.index or 0
            assert served is not None, "only a served request has an answer"
            answer.metadata = Metadata(
                provider=served.provider,
                provider_model=answer.model,
                latency_ms=outcome.latency_ms or 0.0,
                cost_usd=served.cost_usd,
                fallback_used=index > 0,
                original_model=planned[0].item.model_id if index > 0 else "",
                requested_model=request.model,
                request_id=ctx.request_id,
            )
            # The catalog's id of what served, never the alias nor the vendor's spelling.
            answer.model = served.model
            if ctx.include_route_trace:
                answer.route_trace = list(outcome.attempts)
            headers = fallback_headers(planned, outcome)
        # Served: the flight has settled the reservation and recorded the request.
        if key is not None:
            await self.cache.set(key, answer, ttl)
        return answer, {**headers, **admission.headers}

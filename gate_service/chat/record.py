"""The ledger's record of one chat request, from how it ended: the routing
:class:`~gate_service.routing.outcome.Outcome` (attempts, what served, usage, cost), a
cache hit, or neither (refused before any provider was called)."""

from __future__ import annotations

from datetime import UTC, datetime

from gate_service.auth.principal import Principal
from gate_service.domain import ChatRequest, Completion
from gate_service.ledger import RequestRecord
from gate_service.routing.outcome import Outcome, RequestContext


def ledger_entry(
    principal: Principal,
    ctx: RequestContext,
    request: ChatRequest,
    *,
    alias: bool,
    latency_ms: float,
    status: int,
    outcome: Outcome,
    error_code: str | None = None,
    hit: Completion | None = None,
    streamed: bool = False,
) -> RequestRecord:
    """One row for the ledger. A hit is billed nothing and names no key; otherwise what
    served (if anything did) is what the request cost."""
    served = None if hit else outcome.served
    usage = hit.usage if hit else (served.usage if served else None)
    meta = hit.metadata if hit else None
    requested = request.model
    return RequestRecord(
        id=ctx.request_id,
        client_id=principal.client_id,
        token_id=principal.token_id,
        agent_name=principal.agent_name,
        requested_model=requested,
        alias=requested if alias else None,
        served_model=hit.model if hit else (served.model if served else None),
        provider=(meta.provider or None if meta else None)
        if hit
        else (served.provider if served else None),
        key_id=served.key_id if served else None,
        key_preview=served.key_preview if served else None,
        status=status,
        error_code=error_code,
        latency_ms=latency_ms,
        ttft_ms=served.ttft_ms if served else None,
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        cached_tokens=(usage.cached_tokens or 0) if usage else 0,
        reasoning_tokens=(usage.reasoning_tokens or 0) if usage else 0,
        cost_usd=served.cost_usd if served else 0.0,
        streamed=streamed,
        cache_hit=hit is not None,
        fallback_chain=tuple(f"{a.provider}:{a.model}" for a in outcome.attempts),
        attempts=tuple(outcome.attempts),
        created_at=datetime.now(UTC),
    )

"""The ledger's record of one request of any kind, from how it ended: the routing
:class:`~gate_service.routing.outcome.Outcome` (attempts, what served, usage, cost), a
cached answer, or neither (refused before any provider was called).

It needs nothing of the request itself but the model it asked for, whether that name is
an alias, whether it streamed and what kind of call it was: a chat completion, an
embedding or a transcription is recorded the same way, under its kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from gate_service.auth.principal import Principal
from gate_service.domain import Usage
from gate_service.ledger import RequestRecord
from gate_service.ledger.record import RequestKind
from gate_service.routing.outcome import Outcome, RequestContext


@dataclass(frozen=True, slots=True)
class Cached:
    """An answer served from the cache: what the stored answer says served it. It is
    billed nothing and names no key."""

    model: str
    provider: str | None
    usage: Usage | None


def request_record(
    principal: Principal,
    ctx: RequestContext,
    *,
    requested_model: str,
    alias: bool,
    kind: RequestKind,
    streamed: bool,
    latency_ms: float,
    status: int,
    outcome: Outcome,
    error_code: str | None = None,
    cached: Cached | None = None,
    plan_ms: float | None = None,
    admission_ms: float | None = None,
) -> RequestRecord:
    """One row for the ledger. A cached answer is billed nothing and names no key;
    otherwise what served (if anything did) is what the request cost."""
    hit = cached
    served = None if hit else outcome.served
    usage = hit.usage if hit else (served.usage if served else None)
    return RequestRecord(
        id=ctx.request_id,
        client_id=principal.client_id,
        token_id=principal.token_id,
        agent_name=principal.agent_name,
        requested_model=requested_model,
        alias=requested_model if alias else None,
        kind=kind,
        served_model=hit.model if hit else (served.model if served else None),
        provider=hit.provider if hit else (served.provider if served else None),
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
        auth_ms=ctx.auth_ms,
        plan_ms=plan_ms,
        admission_ms=admission_ms,
    )

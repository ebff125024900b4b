"""What every unit-billed call (images, moderation, media generation) reads off its run's
outcome: ``spidergate_metadata``, and whether the key that served was the caller's own
(media billing: a brand's own key is billed nothing, media.md)."""

from __future__ import annotations

from collections.abc import Sequence

from gate_service.domain.images import MediaMetadata
from gate_service.routing.outcome import Outcome, RequestContext
from gate_service.routing.plan import Planned


def media_metadata(outcome: Outcome, requested: str, ctx: RequestContext) -> MediaMetadata:
    served = outcome.served
    return MediaMetadata(
        provider=served.provider if served else "",
        provider_model=served.model if served else "",
        requested_model=requested,
        cost_usd=outcome.cost_usd,
        latency_ms=outcome.latency_ms or 0.0,
        fallback_used=(outcome.index or 0) > 0,
        request_id=ctx.request_id,
    )


def served_by_own_key(planned: Sequence[Planned], outcome: Outcome, client_id: str | None) -> bool:
    """Whether the key that served belongs to ``client_id`` (a brand key it shared into
    the pool is still its own)."""
    served = outcome.served
    if served is None or outcome.index is None or client_id is None:
        return False
    return any(
        key.id == served.key_id and key.client_id == client_id
        for key in planned[outcome.index].keys
    )

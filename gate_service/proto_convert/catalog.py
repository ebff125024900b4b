"""Catalog domain objects -> proto, and the proto ⇄ JSON forms the bridge serves."""

from __future__ import annotations

from typing import Any

from gate_service.catalog.alias_model import OWNER, AliasModel
from gate_service.catalog.probe_store import ProbeResult
from gate_service.catalog.schema import AliasInfo, ModelInfo, ProviderInfo
from gate_service.catalog.snapshot import ModelQuery
from gate_service.errors import invalid
from gate_service.proto_convert.jsonvalues import INT32
from spidergate.v1 import catalog_pb2 as pb

SORTS = {
    "usage": pb.MODEL_SORT_USAGE,
    "name": pb.MODEL_SORT_NAME,
    "provider": pb.MODEL_SORT_PROVIDER,
    "context": pb.MODEL_SORT_CONTEXT,
    "cost": pb.MODEL_SORT_COST,
}
SORT_NAMES = {v: k for k, v in SORTS.items()}


def query_to_proto(q: ModelQuery) -> pb.ListModelsRequest:
    """The query as sent to the core; an ``offset`` past ``int32`` is a 400 (proto would
    raise ``ValueError``: a 500) rather than clamped, since no catalog is that long."""
    if q.offset >= INT32:
        raise invalid("'offset' is out of range", "offset")
    return pb.ListModelsRequest(
        provider=q.provider or "",
        free_only=q.free_only,
        configured_only=q.configured_only,
        search=q.search or "",
        capability=q.capability or "",
        sort_by=SORTS[q.sort_by],
        limit=q.limit,
        offset=q.offset,
        kind=q.kind or "",
    )


def query_params_from_proto(req: pb.ListModelsRequest) -> dict[str, str]:
    """The request as the query parameters ``parse_model_query`` validates."""
    params = {
        "free_only": str(req.free_only).lower(),
        "configured_only": str(req.configured_only).lower(),
        "sort_by": SORT_NAMES.get(req.sort_by, "usage"),
        "offset": str(req.offset),
    }
    if req.limit:
        params["limit"] = str(req.limit)
    for key in ("provider", "search", "capability", "kind"):
        if value := getattr(req, key):
            params[key] = value
    return params


def model_to_proto(
    m: ModelInfo,
    *,
    configured: bool,
    aliases: tuple[str, ...],
    probe: ProbeResult | None = None,
) -> pb.Model:
    """A catalog model; ``probe`` is its last probe's verdict (fields unset without)."""
    message = pb.Model(
        id=m.id,
        created=m.created,
        owned_by=m.provider,
        provider=m.provider,
        provider_model=m.provider_model,
        display_name=m.display_name,
        context_window=m.context_window,
        max_output_tokens=m.max_output_tokens,
        capabilities=list(m.capabilities),
        free_tier=m.free_tier,
        is_configured=configured,
        in_task_aliases=list(aliases),
        pricing=pb.ModelPricing(
            input_per_million=m.input_per_million,
            output_per_million=m.output_per_million,
            cached_input_per_million=m.cached_input_per_million,
        ),
        kind="model",
    )
    if probe is not None:
        if probe.supports_tools is not None:
            message.supports_tools = probe.supports_tools
        message.last_probe_status = probe.status
        message.probed_at = probe.probed_at.isoformat()
    return message


def alias_model_to_proto(a: AliasModel, *, configured: bool) -> pb.Model:
    """A chat alias as an entry of the model list (``kind: "alias"``, with its chain)."""
    return pb.Model(
        id=a.id,
        created=a.created,
        owned_by=OWNER,
        provider=OWNER,
        provider_model=a.id,
        display_name=a.display_name,
        context_window=a.context_window,
        max_output_tokens=a.max_output_tokens,
        capabilities=list(a.capabilities),
        free_tier=a.free_tier,
        is_configured=configured,
        pricing=pb.ModelPricing(
            input_per_million=a.input_per_million,
            output_per_million=a.output_per_million,
            cached_input_per_million=a.cached_input_per_million,
        ),
        kind="alias",
        chain=[pb.AliasCandidate(provider=c.provider, model=c.model) for c in a.chain],
        use_case=a.alias.use_case,
        falls_through_to=a.alias.falls_through_to or "",
    )


def model_to_json(m: pb.Model) -> dict[str, Any]:
    """The OpenAI model object plus ``spidergate_info`` (api.md); an alias's also has its
    chain (``provider:model`` strings, as ``/aliases`` gives them), use case and
    fall-through."""
    body: dict[str, Any] = {
        "id": m.id,
        "object": "model",
        "created": m.created,
        "owned_by": m.owned_by,
        "spidergate_info": {
            "provider": m.provider,
            "provider_model": m.provider_model,
            "display_name": m.display_name,
            "context_window": m.context_window,
            "max_output_tokens": m.max_output_tokens,
            "capabilities": list(m.capabilities),
            "free_tier": m.free_tier,
            "is_configured": m.is_configured,
            "in_task_aliases": list(m.in_task_aliases),
            "pricing": {
                "input_per_million": m.pricing.input_per_million,
                "output_per_million": m.pricing.output_per_million,
                "cached_input_per_million": m.pricing.cached_input_per_million,
            },
            "kind": m.kind or "model",
            # The probe's findings (null when never probed: `spidergate catalog probe`).
            "supports_tools": m.supports_tools if m.HasField("supports_tools") else None,
            "last_probe_status": m.last_probe_status or None,
            "probed_at": m.probed_at or None,
        },
    }
    if m.kind == "alias":
        body["spidergate_info"].update(
            chain=[f"{c.provider}:{c.model}" for c in m.chain],
            use_case=m.use_case,
            falls_through_to=m.falls_through_to or None,
        )
    return body


def alias_to_proto(a: AliasInfo) -> pb.Alias:
    return pb.Alias(
        id=a.id,
        use_case=a.use_case,
        models=[f"{c.provider}:{c.model}" for c in a.chain],
        candidates=[pb.AliasCandidate(provider=c.provider, model=c.model) for c in a.chain],
        pii_safe=a.pii_safe,
        falls_through_to=a.falls_through_to or "",
    )


def alias_to_json(a: pb.Alias) -> dict[str, Any]:
    return {
        "id": a.id,
        "object": "alias",
        "use_case": a.use_case,
        "models": list(a.models),
        "candidates": [{"provider": c.provider, "model": c.model} for c in a.candidates],
        "pii_safe": a.pii_safe,
        "falls_through_to": a.falls_through_to or None,
    }


def provider_to_proto(p: ProviderInfo, *, configured: bool) -> pb.Provider:
    return pb.Provider(
        id=p.id,
        name=p.name,
        api_format=p.api_format,
        free_tier=p.free_tier,
        free_tier_note=p.free_tier_note,
        is_configured=configured,
        base_url=p.base_url,
        local=p.local,
    )


def provider_to_json(p: pb.Provider) -> dict[str, Any]:
    return {
        "id": p.id,
        "object": "provider",
        "name": p.name,
        "api_format": p.api_format,
        "free_tier": p.free_tier,
        "free_tier_note": p.free_tier_note,
        "is_configured": p.is_configured,
        "base_url": p.base_url,
        "local": p.local,
    }

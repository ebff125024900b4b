"""Which slots of a proposed chain can never serve an alias: checked before a probe and
before a change, from the catalog alone (no I/O).

A slot is refused when its provider or model is unknown to the catalog, when its model
lacks what every slot of the alias's kind needs (``chat``, ``embeddings``), or what the
alias itself requires: a tool alias only takes models that can call tools
(:func:`gate_service.catalog.tool_calling.model_can_call_tools`, the one rule). Refusals
are a 422 ``chain_rejected`` listing every refused slot in ``rejected_slots``, so an
operator fixes the whole chain in one go.
"""

from __future__ import annotations

from collections.abc import Callable

from gate_service.catalog.schema import AliasInfo, Candidate
from gate_service.catalog.snapshot import Catalog
from gate_service.catalog.tool_calling import TOOL_CAPABILITY, model_can_call_tools
from gate_service.domain.alias_admin import MAX_SLOTS, Chain, SlotRejection
from gate_service.errors import GateError, invalid


def check_shape(chain: Chain) -> None:
    """1 to ``MAX_SLOTS`` slots, none twice: a 400 naming ``chain`` otherwise."""
    if not chain:
        raise invalid("'chain' needs at least one slot", "chain")
    if len(chain) > MAX_SLOTS:
        raise invalid(f"'chain' holds at most {MAX_SLOTS} slots", "chain")
    seen: set[Candidate] = set()
    for index, slot in enumerate(chain):
        if slot in seen:
            raise invalid(f"chain slot {index} ({slot}) repeats an earlier slot", "chain")
        seen.add(slot)


# A model id's last probe verdict on tool calling (gate_service/catalog/probes.py):
# True / False, or None when never probed or the probe could not tell.
ProbedTools = Callable[[str], bool | None]


def _never_probed(model_id: str) -> bool | None:
    return None


def _rejection(
    catalog: Catalog, alias: AliasInfo, slot: Candidate, probed: ProbedTools
) -> str | None:
    """``reason: message`` when the slot can never serve the alias."""
    provider = catalog.provider(slot.provider)
    if provider is None:
        return f"unknown_provider: the catalog has no provider '{slot.provider}'"
    model = catalog.model(slot.model_id)
    if model is None and not provider.any_model:
        return f"unknown_model: the catalog has no model '{slot.model_id}'"
    if TOOL_CAPABILITY in alias.requires and not model_can_call_tools(
        model, provider, probed(slot.model_id)
    ):
        return f"no_tools: '{slot.model_id}' cannot call tools, and '{alias.id}' is a tool alias"
    if model is not None:
        needed = "embeddings" if alias.kind == "embedding" else "chat"
        # Tool calling was judged above (a probe's measurement may overrule the catalog).
        for capability in (c for c in (needed, *alias.requires) if c != TOOL_CAPABILITY):
            if not model.has(capability):
                return f"lacks_capability: '{slot.model_id}' lacks '{capability}'"
    return None


def rejections(
    catalog: Catalog, alias: AliasInfo, chain: Chain, probed: ProbedTools = _never_probed
) -> list[SlotRejection]:
    """Every slot of ``chain`` that can never serve ``alias``, in chain order."""
    found = []
    for index, slot in enumerate(chain):
        why = _rejection(catalog, alias, slot, probed)
        if why is not None:
            reason, _, message = why.partition(": ")
            found.append(SlotRejection(index, slot.provider, slot.model, reason, message))
    return found


def check_chain(
    catalog: Catalog, alias: AliasInfo, chain: Chain, probed: ProbedTools = _never_probed
) -> None:
    """Raise the 400 for a malformed chain, or the 422 listing every refused slot."""
    check_shape(chain)
    refused = rejections(catalog, alias, chain, probed)
    if refused:
        listed = ", ".join(f"slot {r.slot} {r.provider}:{r.model} ({r.reason})" for r in refused)
        raise GateError(
            "chain_rejected",
            f"the chain cannot serve '{alias.id}': {listed}",
            param="chain",
            body={"rejected_slots": [r.to_json() for r in refused]},
        )

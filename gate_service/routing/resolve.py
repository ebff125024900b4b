"""Resolve what a client asked for (alias, concrete id, provider-qualified id) to a chain.

Pure functions over the catalog snapshot: no I/O, no keys (filtering by keys and by the
request's needs happens in ``plan``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gate_service.catalog.schema import Candidate, ModelInfo, ProviderInfo
from gate_service.catalog.snapshot import Catalog
from gate_service.errors import GateError


@dataclass(frozen=True, slots=True)
class ChainItem:
    """One candidate with its catalog entries (``model`` is None for any-model servers)."""

    provider: ProviderInfo
    model_id: str
    model: ModelInfo | None
    # The alias this candidate came from, when it came through an alias.
    via_alias: str | None = None
    # Came through a PII-safe alias: never to a free tier that may train on the data.
    pii_safe: bool = False
    # A client alias's slot: served with this key of the caller's brand and no other
    # (never a pool key); ``refused`` is the slot's verdict when it cannot serve at all.
    key_id: str | None = None
    refused: str = ""


# The caller's own aliases (client aliases): a name's chain, or None when it is not one.
Local = Callable[[str], list[ChainItem] | None]


def resolve(
    catalog: Catalog,
    requested: str,
    extra: tuple[str, ...] = (),
    alias_kind: str = "chat",
    local: Local | None = None,
) -> list[ChainItem]:
    """The ordered chain for ``requested`` plus ``fallback_models``; 404 when unknown.
    Only aliases of ``alias_kind`` resolve (``agent/embed`` is no chat model); the
    caller's own aliases (``local``) resolve for every kind of call."""
    chain = _resolve_one(catalog, requested, alias_kind, local)
    if chain is None:
        raise GateError(
            "model_not_found",
            f"The model '{requested}' does not exist or is not an alias.",
            param="model",
        )
    for name in extra:
        more = _resolve_one(catalog, name, alias_kind, local)
        if more is None:
            raise GateError(
                "model_not_found",
                f"The fallback model '{name}' does not exist.",
                param="spidergate_options.fallback_models",
            )
        chain.extend(more)
    return _dedupe(chain)


def _resolve_one(
    catalog: Catalog, name: str, alias_kind: str, local: Local | None = None
) -> list[ChainItem] | None:
    if local is not None and (own := local(name)) is not None:
        return own
    alias = catalog.alias(name)
    if alias is not None and alias.kind == alias_kind:
        items = _alias_chain(catalog, alias.id, alias.chain, alias.pii_safe)
        # agent/* aliases fall through to agent/chat when their own chain is exhausted.
        seen = {alias.id}
        nxt = alias.falls_through_to
        while nxt and nxt not in seen and (fallthrough := catalog.alias(nxt)) is not None:
            seen.add(nxt)
            items.extend(
                _alias_chain(catalog, fallthrough.id, fallthrough.chain, fallthrough.pii_safe)
            )
            nxt = fallthrough.falls_through_to
        return items
    models = catalog.models_serving(name)
    if models:
        return [
            ChainItem(p, m.provider_model, m)
            for m in models
            if (p := catalog.provider(m.provider)) is not None
        ]
    # Local servers serve any model name: "vllm/<name>" goes to the vLLM server.
    head, sep, rest = name.partition("/")
    provider = catalog.provider(head) if sep and rest else None
    if provider is not None and provider.any_model:
        return [ChainItem(provider, rest, catalog.model(name))]
    return None


def _alias_chain(
    catalog: Catalog, alias_id: str, chain: tuple[Candidate, ...], pii_safe: bool
) -> list[ChainItem]:
    items = []
    for cand in chain:
        provider = catalog.provider(cand.provider)
        if provider is not None:
            model = catalog.model(f"{cand.provider}/{cand.model}")
            items.append(ChainItem(provider, cand.model, model, alias_id, pii_safe))
    return items


def _dedupe(chain: list[ChainItem]) -> list[ChainItem]:
    """Each (provider, model) once; a client alias's slots on different keys are not
    duplicates of each other (each is its own key's only chance)."""
    seen: set[tuple[str, str, str | None]] = set()
    out = []
    for item in chain:
        key = (item.provider.id, item.model_id, item.key_id)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out

"""Reading the bundled catalog files, and the checks every catalog must pass.

``validate`` is the one gate for catalog consistency: the bundled YAML goes through it at
load, and so does whatever the database holds (an operator may have edited a chain), so a
broken chain is caught where it is read rather than when a request walks into it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import yaml

from gate_service.catalog.schema import (
    API_FORMATS,
    AUTH_SCHEMES,
    CAPABILITIES,
    AliasInfo,
    CatalogData,
    ModelInfo,
    ProviderInfo,
    alias_from_document,
    model_from_document,
    provider_from_document,
)

_DATA_PACKAGE = "gate_service.catalog"
PROVIDERS_FILE = "providers.yaml"
MODELS_FILE = "models.yaml"
ALIASES_FILE = "aliases.yaml"


def _safe_loader() -> type[yaml.SafeLoader]:
    # The C loader is several times faster; fall back where libyaml is not compiled in.
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def _read_list(name: str) -> list[Mapping[str, Any]]:
    text = resources.files(_DATA_PACKAGE).joinpath("data", name).read_text(encoding="utf-8")
    documents = yaml.load(text, Loader=_safe_loader())
    if not isinstance(documents, list):
        raise ValueError(f"{name}: expected a list of entries")
    return documents


def load_bundled() -> CatalogData:
    """The catalog shipped with the package, parsed strictly and validated.

    Raises ``ValueError`` when a file is malformed or the catalog is inconsistent.
    """
    data = CatalogData(
        providers=tuple(provider_from_document(d, strict=True) for d in _read_list(PROVIDERS_FILE)),
        models=tuple(model_from_document(d, strict=True) for d in _read_list(MODELS_FILE)),
        aliases=tuple(alias_from_document(d, strict=True) for d in _read_list(ALIASES_FILE)),
    )
    validate(data)
    return data


def _duplicates(kind: str, ids: Iterable[str]) -> list[str]:
    return [f"duplicate {kind} id {i!r}" for i, n in Counter(ids).items() if n > 1]


def _provider_problems(p: ProviderInfo) -> list[str]:
    problems = []
    if p.api_format not in API_FORMATS:
        problems.append(f"provider {p.id}: unknown api_format {p.api_format!r}")
    if p.auth not in AUTH_SCHEMES:
        problems.append(f"provider {p.id}: unknown auth {p.auth!r}")
    if not p.base_url.startswith(("http://", "https://")):
        problems.append(f"provider {p.id}: base_url must be an http(s) URL")
    return problems


def _model_problems(m: ModelInfo, providers: Mapping[str, ProviderInfo]) -> list[str]:
    problems = []
    if m.provider not in providers:
        problems.append(f"model {m.id}: unknown provider {m.provider!r}")
    unknown = sorted(set(m.capabilities) - CAPABILITIES)
    if unknown:
        problems.append(f"model {m.id}: unknown capabilities {unknown}")
    if not m.capabilities:
        problems.append(f"model {m.id}: no capabilities")
    if m.context_window <= 0 or m.max_output_tokens < 0:
        problems.append(f"model {m.id}: token limits must be positive")
    prices = (m.input_per_million, m.output_per_million, m.cached_input_per_million)
    if any(price < 0 for price in prices):
        problems.append(f"model {m.id}: prices must not be negative")
    return problems


def _alias_problems(
    a: AliasInfo,
    providers: Mapping[str, ProviderInfo],
    models: Mapping[str, ModelInfo],
    aliases: Mapping[str, AliasInfo],
) -> list[str]:
    problems = []
    if not a.chain:
        problems.append(f"alias {a.id}: empty chain")
    needed = "embeddings" if a.kind == "embedding" else "chat"
    for candidate in a.chain:
        provider = providers.get(candidate.provider)
        if provider is None:
            problems.append(f"alias {a.id}: unknown provider in {candidate}")
            continue
        model = models.get(candidate.model_id)
        if model is None:
            # Local servers take any model name, so a chain may name one not listed.
            if not provider.any_model:
                problems.append(f"alias {a.id}: {candidate} is not in the catalog")
        elif not model.has(needed):
            problems.append(f"alias {a.id}: {candidate} lacks capability {needed!r}")
    if a.falls_through_to is not None:
        target = aliases.get(a.falls_through_to)
        if target is None or target.id == a.id:
            problems.append(f"alias {a.id}: bad falls_through_to {a.falls_through_to!r}")
        elif target.kind != a.kind:
            problems.append(f"alias {a.id}: falls through to a {target.kind} alias")
    if unknown := sorted(set(a.requires) - CAPABILITIES):
        problems.append(f"alias {a.id}: requires unknown capabilities {unknown}")
    if a.kind == "embedding" and (a.dimensions is None or a.dimensions <= 0):
        problems.append(f"alias {a.id}: embedding aliases need positive dimensions")
    return problems


def validate(data: CatalogData) -> None:
    """Check the catalog is consistent; ``ValueError`` listing every problem found.

    Duplicate ids, an unknown api_format, auth scheme or capability, a model of an unknown
    provider, an alias candidate whose provider or model is not in the catalog, and a
    fall-through to a missing alias are all errors.
    """
    providers = {p.id: p for p in data.providers}
    models = {m.id: m for m in data.models}
    aliases = {a.id: a for a in data.aliases}
    problems = [
        *_duplicates("provider", (p.id for p in data.providers)),
        *_duplicates("model", (m.id for m in data.models)),
        *_duplicates("alias", (a.id for a in data.aliases)),
    ]
    for p in data.providers:
        problems += _provider_problems(p)
    for m in data.models:
        problems += _model_problems(m, providers)
    for a in data.aliases:
        problems += _alias_problems(a, providers, models, aliases)
    if problems:
        raise ValueError("invalid catalog:\n  " + "\n  ".join(problems))

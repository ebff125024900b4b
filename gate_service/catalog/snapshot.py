"""An immutable, indexed view of one catalog version.

Routing reads the catalog on every request, so every lookup here is a dict hit built once
in the constructor. A change (an operator editing a chain) builds a new ``Catalog`` and
swaps the reference; readers holding the old one keep a consistent view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gate_service.catalog.alias_model import AliasModel, alias_model
from gate_service.catalog.query import ModelQuery, SortKey, parse_model_query
from gate_service.catalog.schema import AliasInfo, CatalogData, ModelInfo, ProviderInfo

# One entry of the model list: a catalog model, or a chat alias seen as one.
Listed = ModelInfo | AliasModel

__all__ = ["AliasModel", "Catalog", "Listed", "ModelQuery", "parse_model_query"]

# Native ids before aliases when a bare name is served by several models.
_RANK_PROVIDER_MODEL = 0
_RANK_ALSO_KNOWN_AS = 1


def _build_name_index(
    models: tuple[ModelInfo, ...], provider_rank: dict[str, int]
) -> dict[str, tuple[ModelInfo, ...]]:
    """Map every provider model id and alternative name to the models answering to it."""
    ranked: dict[str, list[tuple[int, int, str, ModelInfo]]] = {}
    for m in models:
        order = provider_rank.get(m.provider, len(provider_rank))
        ranked.setdefault(m.provider_model, []).append((_RANK_PROVIDER_MODEL, order, m.id, m))
        for name in m.also_known_as:
            ranked.setdefault(name, []).append((_RANK_ALSO_KNOWN_AS, order, m.id, m))
    index: dict[str, tuple[ModelInfo, ...]] = {}
    for name, entries in ranked.items():
        entries.sort(key=lambda e: e[:3])
        seen: set[str] = set()
        unique = []
        for *_, m in entries:
            if m.id not in seen:
                seen.add(m.id)
                unique.append(m)
        index[name] = tuple(unique)
    return index


def _build_alias_use(aliases: tuple[AliasInfo, ...]) -> dict[str, tuple[str, ...]]:
    """Map every model's catalog id to the aliases whose chains name it, in alias order."""
    use: dict[str, list[str]] = {}
    for a in aliases:
        for candidate in a.chain:
            names = use.setdefault(candidate.model_id, [])
            if a.id not in names:
                names.append(a.id)
    return {model_id: tuple(names) for model_id, names in use.items()}


@dataclass(frozen=True, slots=True, repr=False)
class Catalog:
    """One consistent catalog version with its lookup tables; equal when the data is."""

    data: CatalogData
    _providers: dict[str, ProviderInfo] = field(init=False, repr=False, compare=False)
    _provider_rank: dict[str, int] = field(init=False, repr=False, compare=False)
    _models: dict[str, ModelInfo] = field(init=False, repr=False, compare=False)
    _aliases: dict[str, AliasInfo] = field(init=False, repr=False, compare=False)
    _by_name: dict[str, tuple[ModelInfo, ...]] = field(init=False, repr=False, compare=False)
    _alias_use: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _alias_order: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rank = {p.id: i for i, p in enumerate(self.data.providers)}
        tables: dict[str, Any] = {
            "_providers": {p.id: p for p in self.data.providers},
            "_provider_rank": rank,
            "_models": {m.id: m for m in self.data.models},
            "_aliases": {a.id: a for a in self.data.aliases},
            "_by_name": _build_name_index(self.data.models, rank),
            "_alias_use": _build_alias_use(self.data.aliases),
            "_alias_order": {a.id: i for i, a in enumerate(self.data.aliases)},
        }
        for name, table in tables.items():
            object.__setattr__(self, name, table)

    def __repr__(self) -> str:
        # The data is large; a test failure should not print all of it.
        d = self.data
        counts = f"{len(d.providers)} providers, {len(d.models)} models, {len(d.aliases)} aliases"
        return f"<Catalog {counts}>"

    # --- lookups ---------------------------------------------------------------------

    @property
    def providers(self) -> tuple[ProviderInfo, ...]:
        """Every provider, in preference order."""
        return self.data.providers

    @property
    def models(self) -> tuple[ModelInfo, ...]:
        return self.data.models

    @property
    def aliases(self) -> tuple[AliasInfo, ...]:
        """Every alias, chat and embedding, in file order."""
        return self.data.aliases

    def provider(self, provider_id: str) -> ProviderInfo | None:
        return self._providers.get(provider_id)

    def model(self, model_id: str) -> ModelInfo | None:
        """The model with this catalog id (``groq/llama-3.1-8b-instant``), if any."""
        return self._models.get(model_id)

    def alias(self, alias_id: str) -> AliasInfo | None:
        return self._aliases.get(alias_id)

    def chat_aliases(self) -> tuple[AliasInfo, ...]:
        """The task aliases ``/aliases`` lists and ``/chat/completions`` accepts."""
        return tuple(a for a in self.data.aliases if a.kind == "chat")

    def alias_model(self, alias_id: str) -> AliasModel | None:
        """The chat alias ``alias_id`` as an entry of the model list, if there is one."""
        alias = self._aliases.get(alias_id)
        if alias is None or alias.kind != "chat":
            return None
        return alias_model(alias, self._models.get)

    def embedding_aliases(self) -> tuple[AliasInfo, ...]:
        """The aliases ``/embeddings`` accepts."""
        return tuple(a for a in self.data.aliases if a.kind == "embedding")

    def provider_rank(self, provider_id: str) -> int:
        """Position in preference order; unknown providers sort last."""
        return self._provider_rank.get(provider_id, len(self._provider_rank))

    def models_serving(self, name: str) -> list[ModelInfo]:
        """Resolve a concrete model id a client sent to the models that can serve it.

        A catalog id (``groq/llama-3.1-8b-instant``) names that model. A provider's own
        model id or a known alternative name (``llama-3.1-8b-instant``, ``gpt-4o``,
        ``openai/gpt-4o``) names every model carrying it. The model whose catalog id matches
        comes first (``openai/gpt-4o`` is OpenAI's own before OpenRouter's and GitHub's
        resale), then exact provider model ids before alternative names, then provider
        preference order. An unknown name resolves to nothing.
        """
        exact = self._models.get(name)
        others = self._by_name.get(name, ())
        if exact is None:
            return list(others)
        return [exact, *(m for m in others if m.id != exact.id)]

    def in_task_aliases(self, model_id: str) -> tuple[str, ...]:
        """The aliases whose chains name this model (by catalog id), in alias order."""
        return self._alias_use.get(model_id, ())

    # --- listing ---------------------------------------------------------------------

    def _sort_key(self, sort_by: SortKey) -> Callable[[Listed], tuple[Any, ...]]:
        def usage(m: Listed) -> tuple[Any, ...]:
            # Aliases first (what the gateway recommends), in catalog order; then models
            # by alias membership, which stands in for popularity.
            if isinstance(m, AliasModel):
                return (0, self._alias_order[m.id], m.id)
            return (1, -len(self.in_task_aliases(m.id)), m.id)

        def provider(m: Listed) -> tuple[Any, ...]:
            first = m.chain[0].provider if isinstance(m, AliasModel) and m.chain else m.provider
            return (self.provider_rank(first), m.id)

        keys: dict[SortKey, Callable[[Listed], tuple[Any, ...]]] = {
            "usage": usage,
            "name": lambda m: (m.display_name.casefold(), m.id),
            "provider": provider,
            "context": lambda m: (-m.context_window, m.id),
            "cost": lambda m: (m.input_per_million + m.output_per_million, m.id),
        }
        return keys[sort_by]

    def list_models(
        self, query: ModelQuery, is_configured: Callable[[ModelInfo], bool]
    ) -> tuple[list[Listed], int]:
        """The page of entries ``query`` selects, and how many matched before paging:
        catalog models and chat aliases (:mod:`gate_service.catalog.alias_model`: an
        alias matches a filter when a candidate of its chain does), or only one kind.

        ``is_configured`` says whether a usable key exists for a model; it is only called
        for ``configured_only`` and only on models that passed the other filters.
        """
        needle = query.search.casefold() if query.search else None

        def keep(m: Listed) -> bool:
            if query.provider is not None and not (
                m.routes_to(query.provider)
                if isinstance(m, AliasModel)
                else m.provider == query.provider
            ):
                return False
            if query.free_only and not m.free_tier:
                return False
            if query.capability is not None and not m.has(query.capability):
                return False
            if needle is not None and not (
                needle in m.id.casefold() or needle in m.display_name.casefold()
            ):
                return False
            if not query.configured_only:
                return True
            if isinstance(m, AliasModel):
                return m.configured(is_configured)
            return is_configured(m)

        entries: list[Listed] = []
        if query.kind != "alias":
            entries.extend(self.data.models)
        if query.kind != "model":
            entries.extend(alias_model(a, self._models.get) for a in self.chat_aliases())
        selected = sorted(filter(keep, entries), key=self._sort_key(query.sort_by))
        return selected[query.offset : query.offset + query.limit], len(selected)

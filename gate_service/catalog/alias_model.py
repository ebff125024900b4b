"""A chat alias seen as an entry of the model list (``GET /models``, ``kind: "alias"``).

Model pickers (chat UIs, IDE plugins, SDK helpers) read ``GET /models`` and nothing else;
for them to offer ``spideriq/fast`` it has to be a model object. Its figures are what the
alias *can serve*, derived from its chain, because routing picks, per request, the
candidates that can serve it (a request with images goes to the chain's vision models, a
long prompt to the ones whose window holds it): capabilities are the union of the
candidates', the context window and output bound the largest, ``free_tier`` and
``is_configured`` true when any candidate is. Prices are the first choice's, the one
that serves while it is healthy. Filters read the same figures, so ``capability=vision``
lists the aliases that can take an image and ``provider=groq`` the ones that may route
to Groq.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gate_service.catalog.schema import AliasInfo, Candidate, ModelInfo

# ``owned_by`` and ``provider`` of an alias: the gateway routes it, no single provider.
OWNER = "spidergate"


@dataclass(frozen=True, slots=True)
class AliasModel:
    """An alias and the catalog models its chain names (those the catalog holds)."""

    alias: AliasInfo
    members: tuple[ModelInfo, ...]

    @property
    def id(self) -> str:
        return self.alias.id

    @property
    def chain(self) -> tuple[Candidate, ...]:
        return self.alias.chain

    @property
    def provider(self) -> str:
        return OWNER

    @property
    def display_name(self) -> str:
        return self.alias.id

    @property
    def created(self) -> int:
        return max((m.created for m in self.members), default=0)

    @property
    def context_window(self) -> int:
        return max((m.context_window for m in self.members), default=0)

    @property
    def max_output_tokens(self) -> int:
        return max((m.max_output_tokens for m in self.members), default=0)

    @property
    def capabilities(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for m in self.members:
            seen.update(dict.fromkeys(m.capabilities))
        return tuple(seen)

    @property
    def free_tier(self) -> bool:
        return any(m.free_tier for m in self.members)

    @property
    def first(self) -> ModelInfo | None:
        return self.members[0] if self.members else None

    @property
    def input_per_million(self) -> float:
        return self.first.input_per_million if self.first else 0.0

    @property
    def output_per_million(self) -> float:
        return self.first.output_per_million if self.first else 0.0

    @property
    def cached_input_per_million(self) -> float:
        return self.first.cached_input_per_million if self.first else 0.0

    def has(self, capability: str) -> bool:
        return any(m.has(capability) for m in self.members)

    def routes_to(self, provider: str) -> bool:
        return any(c.provider == provider for c in self.chain)

    def configured(self, is_configured: Callable[[ModelInfo], bool]) -> bool:
        return any(is_configured(m) for m in self.members)


def alias_model(alias: AliasInfo, models: Callable[[str], ModelInfo | None]) -> AliasModel:
    """``alias`` with the models of its chain, looked up by catalog id with ``models``."""
    found = (models(c.model_id) for c in alias.chain)
    return AliasModel(alias, tuple(m for m in found if m is not None))

"""A request's route before and during its attempts: which candidates may serve it, the
most it may cost, and (lazily) which key of which candidate to try next.

Planning (:meth:`Planner.prepare`) does no I/O, so a 404, a 403 ``model_not_allowed`` or
a 422 ``no_qualifying_model`` is decided before limits are charged and before any
provider is called; its worst case (:func:`worst_case_usd`) is what the governor
reserves. The try order (:func:`tries`) is decided attempt by attempt, because every
answer may change a key's health: the key that was healthy when the request arrived may
be cooling down by the time its turn comes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from gate_service.catalog.snapshot import Catalog
from gate_service.client_aliases.book import ClientAliasBook
from gate_service.providers.base import Target, WireAdapter
from gate_service.routing.cost import units_usd
from gate_service.routing.empty_budgets import EmptyBudgets
from gate_service.routing.health import HealthBook
from gate_service.routing.keys import KeyPool, UsableKey, order_keys, resolve_base_url
from gate_service.routing.outcome import Attempt, RequestContext, skipped
from gate_service.routing.plan import ModelControls, Needs, Planned, plan, worst_cost
from gate_service.routing.resolve import ChainItem, resolve


class Planner:
    """Resolves a request's model over the current catalog snapshot and key pool."""

    def __init__(
        self,
        catalog: Callable[[], Catalog],
        keys: KeyPool,
        adapters: Mapping[str, WireAdapter],
        client_aliases: ClientAliasBook | None = None,
        empty_budgets: EmptyBudgets | None = None,
    ) -> None:
        self._catalog = catalog
        self._keys = keys
        self._adapters = adapters
        # What routing measured: the budgets at which models answered empty.
        self.empty_budgets = empty_budgets or EmptyBudgets()
        self.client_aliases = client_aliases or ClientAliasBook()

    def prepare(self, ctx: RequestContext, needs: Needs) -> list[Planned]:
        """Resolve and filter the chain (404, 403 model_not_allowed, 422): no I/O, so it
        runs before limits are charged and before any provider is called. The caller's
        own client aliases resolve too (``client:<client_id>/<name>``), each slot pinned
        to its key."""
        catalog = self._catalog()
        book = self.client_aliases

        def own(name: str) -> list[ChainItem] | None:
            return book.chain(catalog, name, ctx.client_id)

        chain = resolve(catalog, needs.model, needs.fallback_models, needs.alias_kind, own)
        controls = ModelControls(needs.model, ctx.allowed_models, ctx.free_only)
        return plan(
            chain,
            needs,
            ctx.client_id,
            self._keys,
            self._adapters,
            controls,
            self.empty_budgets.known_empty,
        )

    def is_alias(self, name: str) -> bool:
        return self._catalog().alias(name) is not None or self.client_aliases.exists(name)


def worst_case_usd(planned: Sequence[Planned], needs: Needs) -> float:
    """The most this request can cost, for budget reservation: a generous bound on the
    prompt plus ``max_tokens`` — or, without it, the model's whole output limit — and the
    bound on its non-token units (images, characters, audio seconds), at the dearest
    candidate that may serve it; ``n`` answers cost ``n`` times as much (an emulated
    ``n`` sends the prompt ``n`` times too)."""
    prompt = needs.prompt_bound
    max_out = needs.max_output
    costs = [
        worst_cost(p.item.model, prompt, max_out or p.item.model.max_output_tokens)
        + units_usd(p.item.model, needs.images, needs.characters, needs.audio_seconds)
        for p in planned
        if p.item.model
    ]
    return max(costs, default=0.0) * max(needs.choices, 1)


def tries(
    planned: Sequence[Planned], health: HealthBook, attempts: list[Attempt]
) -> Iterator[tuple[int, Target]]:
    """(candidate index, target) in try order, decided lazily: a key's health may change
    with every answer. Healthy candidates go before degraded ones; models in cooldown and
    keys that may not be used now are recorded in ``attempts`` as skipped. (The cap on
    upstream calls is the runner's: a key the shared state refuses costs no call.)"""
    for index in candidate_order(planned, health):
        cand = planned[index]
        provider, model = cand.item.provider.id, cand.item.model_id
        if not health.model_available(provider, model):
            attempts.append(skipped(provider, model, "", "model_cooldown"))
            continue
        usable = order_keys(list(cand.keys), health)
        for key in cand.keys:
            if key not in usable:
                attempts.append(skipped(provider, model, key.preview, health.skip_reason(key.id)))
        for key in usable:
            if not health.available(key.id, key.limits):
                # Changed while an earlier key was tried (e.g. another request probes it).
                attempts.append(skipped(provider, model, key.preview, health.skip_reason(key.id)))
                continue
            yield index, target(cand, key)


def candidate_order(planned: Sequence[Planned], health: HealthBook) -> list[int]:
    """Candidates with a healthy key first, chain order otherwise kept (stable sort)."""
    now = health.clock()

    def rank(i: int) -> int:
        states = {health.key(k.id).state(now) for k in planned[i].keys}
        return 0 if "healthy" in states else 1

    return sorted(range(len(planned)), key=rank)


def target(cand: Planned, key: UsableKey) -> Target:
    """Where an attempt with this key on this candidate goes."""
    return Target(
        provider=cand.item.provider,
        model=cand.item.model_id,
        base_url=resolve_base_url(cand.item.provider, key) or "",
        secret=key.secret,
        key_id=key.id,
        key_preview=key.preview,
    )

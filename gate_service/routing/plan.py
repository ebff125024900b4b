"""Filter a resolved chain down to the candidates that can serve this request.

Order of the checks follows vault-and-routing.md ("Task aliases"); every dropped candidate
gets a verdict so a 422 ``no_qualifying_model`` can say why each one was skipped.

Planning reads a request only through its :class:`Needs` (the model asked for, the
provider preferences, the capabilities it needs, its size), so every kind of call (chat
today; embeddings, images, speech next) plans the same way: each kind says what it needs
(for chat: :func:`gate_service.chat.needs.needs_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gate_service.errors import CATALOGUE, GateError, invalid
from gate_service.providers.base import WireAdapter
from gate_service.providers.params import refused
from gate_service.routing.keys import KeyPool, UsableKey, resolve_base_url
from gate_service.routing.resolve import ChainItem

# The verdict of a candidate whose provider has no usable key (see ``key_required``).
NO_KEY = "no usable key for this provider"
# Pre-dispatch qualification's verdicts (codes, as the spec names them).
EXCEEDS_TIER_CEILING = "exceeds_tier_ceiling"
KNOWN_EMPTY_AT_BUDGET = "known_empty_at_budget"

# Why a candidate without a capability the request needs is skipped (422 verdicts).
_LACKS = {
    "function_calling": "model does not support tools",
    "vision": "model does not accept images",
}


@dataclass(frozen=True, slots=True)
class Needs:
    """What a request needs of a candidate, whatever its kind: all planning reads.

    ``prompt_tokens`` is an estimate (context-window and ``max_cost_usd`` checks);
    ``prompt_bound`` a generous bound on it (the budget reservation, which must not fall
    short); ``max_output`` the output cap the client set, if any. ``alias_kind`` is the
    kind of alias the model name may be (an embedding request resolves ``agent/embed``,
    a chat request the chat aliases). ``images``, ``characters`` and ``audio_seconds``
    bound the non-token units the call may be billed for (the reservation). ``params``
    are the request parameters it asks for (``providers.params``: a candidate that cannot
    honour one is filtered), ``stream`` whether it streams, ``choices`` how many answers
    it asks for (``n``: the reservation covers them all)."""

    model: str
    fallback_models: tuple[str, ...] = ()
    excluded_providers: frozenset[str] = frozenset()
    preferred_providers: tuple[str, ...] = ()
    max_cost_usd: float | None = None
    capabilities: tuple[str, ...] = ()
    prompt_tokens: int = 0
    prompt_bound: int = 0
    max_output: int | None = None
    alias_kind: str = "chat"
    images: int = 0
    characters: int = 0
    audio_seconds: float = 0.0
    params: tuple[str, ...] = ()
    stream: bool = False
    choices: int = 1


@dataclass(frozen=True, slots=True)
class ModelControls:
    """A token's model controls (auth-and-controls.md): an allow-list of aliases and ids
    (empty: everything; an allowed alias allows whatever its chain serves) and free-only."""

    requested: str
    allowed: frozenset[str] = frozenset()
    free_only: bool = False

    def allows(self, item: ChainItem) -> bool:
        if not self.allowed or self.requested in self.allowed:
            return True
        names = {item.model_id, f"{item.provider.id}/{item.model_id}", item.via_alias}
        if item.model is not None:
            names.update(item.model.also_known_as)
        return bool(names & self.allowed)


@dataclass(frozen=True, slots=True)
class Planned:
    """A candidate that qualifies, with its usable keys in the order to try them."""

    item: ChainItem
    keys: tuple[UsableKey, ...]


def plan(
    chain: list[ChainItem],
    needs: Needs,
    client_id: str | None,
    keys: KeyPool,
    adapters: Mapping[str, WireAdapter],
    controls: ModelControls | None = None,
    known_empty: Callable[[str], int | None] | None = None,
) -> list[Planned]:
    """The qualifying candidates in try order; 422 with verdicts when none qualify, 403
    ``model_not_allowed`` when the token may not use what it asked for.

    Pre-dispatch qualification (the spec's): a request whose ``max_tokens`` is above a
    model's output ceiling skips it (``exceeds_tier_ceiling``), and one whose
    ``max_tokens`` is at or below the budget at which the model was measured answering
    empty (``known_empty(model_id)``, :mod:`gate_service.routing.empty_budgets`) skips
    it (``known_empty_at_budget``)."""
    if controls is not None:
        chain = _apply_controls(chain, controls, needs)
    excluded = needs.excluded_providers
    preferred = needs.preferred_providers
    max_cost = needs.max_cost_usd
    max_out = needs.max_output
    prompt_tokens = needs.prompt_tokens

    planned: list[Planned] = []
    verdicts: list[dict[str, str]] = []
    for item in chain:
        model = item.model
        verdict = ""
        if item.provider.id in excluded:
            verdict = "provider excluded by spidergate_options.excluded_providers"
        elif (
            item.pii_safe
            and item.provider.trains_on_free_tier
            and (model is None or model.free_tier)
        ):
            verdict = "PII-safe alias: this free tier may use request data for training"
        elif item.provider.api_format not in adapters:
            verdict = f"wire format '{item.provider.api_format}' is not supported yet"
        elif unable := refused(item.provider, needs.params, stream=needs.stream):
            verdict = _cannot_honour(item.provider.id, unable, needs.stream)
        elif model is not None and (lacks := _lacking(needs, model.capabilities)):
            verdict = lacks
        elif model is not None and max_out and max_out > model.max_output_tokens:
            verdict = EXCEEDS_TIER_CEILING
        elif (
            max_out
            and known_empty is not None
            and (mark := known_empty(f"{item.provider.id}/{item.model_id}")) is not None
            and max_out <= mark
        ):
            verdict = KNOWN_EMPTY_AT_BUDGET
        elif model is not None and prompt_tokens > model.context_window:
            window = model.context_window
            verdict = f"prompt (~{prompt_tokens} tokens) exceeds the context window {window}"
        elif (
            model is not None
            and max_cost is not None
            and worst_cost(model, prompt_tokens, max_out) > max_cost
        ):
            verdict = "estimated cost exceeds spidergate_options.max_cost_usd"
        usable: tuple[UsableKey, ...] = ()
        if not verdict:
            embeds = "embeddings" in needs.capabilities
            usable = tuple(
                k
                for k in keys.keys_for(client_id, item.provider.id)
                if resolve_base_url(item.provider, k) is not None
                # Only keys marked for it serve embeddings (media.md).
                and (k.supports_embeddings or not embeds)
            )
            if not usable:
                verdict = NO_KEY
        verdicts.append(
            {
                "provider": item.provider.id,
                "model": item.model_id,
                "verdict": verdict or "qualifies",
            }
        )
        if not verdict:
            planned.append(Planned(item, usable))
    if preferred:
        rank = {p: i for i, p in enumerate(preferred)}
        planned.sort(key=lambda p: rank.get(p.item.provider.id, len(rank)))
    if not planned:
        _refuse_pinned(chain, needs)
        raise GateError(
            "no_qualifying_model",
            "No candidate model can serve this request.",
            body=_refusal(needs, verdicts),
        )
    return planned


def _refusal(needs: Needs, verdicts: list[dict[str, str]]) -> dict[str, Any]:
    """The body a 422 ``no_qualifying_model`` adds: what was asked, its completion
    budget (``max_tokens``; null when the request set none) and a verdict per candidate."""
    return {
        "spidergate_error": {
            "requested_model": needs.model,
            "completion_budget": needs.max_output,
            "candidates": verdicts,
        }
    }


def key_required(exc: GateError) -> GateError:
    """For calls only some providers serve (images, speech, transcription, moderation):
    a 422 whose candidates all qualified but for a usable key becomes 503
    ``no_<provider>_key`` for the first of them (media.md): what the operator must add.
    Any other error is returned as it is."""
    if exc.code != "no_qualifying_model":
        return exc
    candidates = exc.body.get("spidergate_error", {}).get("candidates", [])
    keyless = [c["provider"] for c in candidates if c["verdict"] == NO_KEY]
    if not keyless or len(keyless) != len(candidates):
        return exc
    provider = keyless[0]
    code = f"no_{provider}_key"
    message = f"No {provider} key is configured to serve this request."
    if code not in CATALOGUE:
        return GateError("service_unavailable", message, body=exc.body)
    return GateError(code, message, body=exc.body)


def _cannot_honour(provider: str, params: list[str], stream: bool) -> str:
    """The verdict of a candidate that cannot honour parameters the request asks for."""
    names = ", ".join(params)
    if params == ["n"] and stream:
        return f"{provider} has no n: n > 1 is emulated without streaming only"
    return f"{provider} cannot honour {names} (see the README's parameter table)"


def _refuse_pinned(chain: list[ChainItem], needs: Needs) -> None:
    """A concrete model (no alias) that cannot honour a parameter: 400 naming it, since
    the client asked for that model and that parameter together, and no routing choice
    can change that (fallback models, if any, were refused as well)."""
    if not chain or chain[0].via_alias:
        return
    unable = refused(chain[0].provider, needs.params, stream=needs.stream)
    if unable:
        raise invalid(
            f"'{unable[0]}' is not supported by '{needs.model}' "
            f"({_cannot_honour(chain[0].provider.id, unable, needs.stream)}).",
            unable[0],
        )


def _lacking(needs: Needs, capabilities: Any) -> str:
    """The verdict for the first capability the request needs and the model lacks."""
    for capability in needs.capabilities:
        if capability not in capabilities:
            return _LACKS.get(capability, f"model does not support {capability}")
    return ""


def _apply_controls(
    chain: list[ChainItem], controls: ModelControls, needs: Needs
) -> list[ChainItem]:
    allowed = [item for item in chain if controls.allows(item)]
    if not allowed:
        raise GateError(
            "model_not_allowed",
            f"This token may not use '{controls.requested}'.",
            param="model",
        )
    if not controls.free_only:
        return allowed
    is_alias = any(item.via_alias == controls.requested for item in allowed)
    free = [item for item in allowed if item.model is not None and item.model.free_tier]
    if free:
        return free
    if not is_alias:
        raise GateError(
            "model_not_allowed",
            f"This token may only use free-tier models; '{controls.requested}' is not one.",
            param="model",
        )
    raise GateError(
        "no_qualifying_model",
        "This token may only use free-tier models and no free candidate can serve this.",
        body=_refusal(
            needs,
            [
                {
                    "provider": i.provider.id,
                    "model": i.model_id,
                    "verdict": "not a free-tier model (token is free-only)",
                }
                for i in allowed
            ],
        ),
    )


def worst_cost(model: Any, prompt_tokens: int, max_out: int | None) -> float:
    """USD for the prompt plus the longest answer allowed, at this model's prices."""
    out_tokens = max_out or min(model.max_output_tokens, 4096)
    return (
        prompt_tokens * model.input_per_million + out_tokens * model.output_per_million
    ) / 1_000_000

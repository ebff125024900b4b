"""Filter a resolved chain down to the candidates that can serve this request.

Order of the checks follows vault-and-routing.md ("Task aliases"); every dropped candidate
gets a verdict so a 422 ``no_qualifying_model`` can say why each one was skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gate_service.domain import ChatRequest, Tool
from gate_service.domain.openai_json import tool_to_json
from gate_service.errors import GateError
from gate_service.providers.base import WireAdapter
from gate_service.routing.keys import KeyPool, UsableKey, resolve_base_url
from gate_service.routing.resolve import ChainItem

# A rough prompt size: four characters a token, plus framing per message.
_CHARS_PER_TOKEN = 4


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


def estimate_prompt_tokens(request: ChatRequest) -> int:
    chars = 0
    for message in request.messages:
        content = message.content
        if isinstance(content, str):
            chars += len(content)
        elif content is not None:
            chars += sum(len(p.text or "") for p in content)
        chars += 16
    return chars // _CHARS_PER_TOKEN + 1


def bound_prompt_tokens(request: ChatRequest) -> int:
    """A generous bound on the prompt's tokens, for budget reservations (an estimate that
    errs high): ASCII text at four characters a token, any other character as a token of
    its own (CJK text is about one a character), 1,000 tokens an image (the dearest
    detail level of the providers we know), and the tool schemas sent with the request."""
    tokens = 0
    for message in request.messages:
        content = message.content
        if isinstance(content, str):
            tokens += _text_tokens(content)
        elif content is not None:
            for part in content:
                if part.type == "image_url":
                    tokens += 1000
                tokens += _text_tokens(part.text or "")
        tokens += 8
    for tool in request.tools:
        tokens += _tool_chars(tool) // _CHARS_PER_TOKEN + 1
    return tokens


def _text_tokens(text: str) -> int:
    # isascii() runs in C: the character walk is for non-ASCII text only.
    ascii_chars = len(text) if text.isascii() else sum(ch < "\x80" for ch in text)
    return ascii_chars // _CHARS_PER_TOKEN + (len(text) - ascii_chars) + 1


def _tool_chars(tool: Tool) -> int:
    """The length of the tool as the client wrote it (as the dict's ``str`` was)."""
    return len(str(tool_to_json(tool)))


def _has_images(request: ChatRequest) -> bool:
    for message in request.messages:
        content = message.content
        if isinstance(content, list) and any(p.type == "image_url" for p in content):
            return True
    return False


def plan(
    chain: list[ChainItem],
    request: ChatRequest,
    client_id: str | None,
    keys: KeyPool,
    adapters: Mapping[str, WireAdapter],
    controls: ModelControls | None = None,
) -> list[Planned]:
    """The qualifying candidates in try order; 422 with verdicts when none qualify, 403
    ``model_not_allowed`` when the token may not use what it asked for."""
    if controls is not None:
        chain = _apply_controls(chain, controls)
    options = request.options
    excluded = set(options.excluded_providers)
    preferred = list(options.preferred_providers)
    max_cost = options.max_cost_usd
    wants_tools = bool(request.tools)
    wants_vision = _has_images(request)
    max_out = request.max_output
    prompt_tokens = estimate_prompt_tokens(request)

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
        elif model is not None and wants_tools and "function_calling" not in model.capabilities:
            verdict = "model does not support tools"
        elif model is not None and wants_vision and "vision" not in model.capabilities:
            verdict = "model does not accept images"
        elif model is not None and max_out and max_out > model.max_output_tokens:
            verdict = (
                f"max_tokens {max_out} exceeds the model's output limit {model.max_output_tokens}"
            )
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
            usable = tuple(
                k
                for k in keys.keys_for(client_id, item.provider.id)
                if resolve_base_url(item.provider, k) is not None
            )
            if not usable:
                verdict = "no usable key for this provider"
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
        raise GateError(
            "no_qualifying_model",
            "No candidate model can serve this request.",
            body={"spidergate_error": {"candidates": verdicts}},
        )
    return planned


def _apply_controls(chain: list[ChainItem], controls: ModelControls) -> list[ChainItem]:
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
        body={
            "spidergate_error": {
                "candidates": [
                    {
                        "provider": i.provider.id,
                        "model": i.model_id,
                        "verdict": "not a free-tier model (token is free-only)",
                    }
                    for i in allowed
                ]
            }
        },
    )


def worst_cost(model: Any, prompt_tokens: int, max_out: int | None) -> float:
    """USD for the prompt plus the longest answer allowed, at this model's prices."""
    out_tokens = max_out or min(model.max_output_tokens, 4096)
    return (
        prompt_tokens * model.input_per_million + out_tokens * model.output_per_million
    ) / 1_000_000

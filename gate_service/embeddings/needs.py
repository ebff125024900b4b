"""What an embedding request needs of a candidate, and its size.

Planning reads ``prompt_tokens`` against the model's context window, which for an
embedding model bounds each input, not the batch: so ``prompt_tokens`` is the largest
input's estimate (a batch of 100 short texts fits an 8K model), and ``prompt_bound`` is
the whole batch's generous bound, which the budget reservation is made from. Text is
estimated as chat's is (:func:`gate_service.chat.needs.text_tokens`); token ids count
exactly.
"""

from __future__ import annotations

from gate_service.chat.needs import text_tokens
from gate_service.domain.embeddings import EmbeddingRequest
from gate_service.routing.plan import Needs

_CHARS_PER_TOKEN = 4


def needs_of(request: EmbeddingRequest) -> Needs:
    """What ``request`` needs of the model and provider that serve it."""
    options = request.options
    return Needs(
        model=request.model,
        fallback_models=tuple(options.fallback_models),
        excluded_providers=frozenset(options.excluded_providers),
        preferred_providers=tuple(options.preferred_providers),
        max_cost_usd=options.max_cost_usd,
        capabilities=("embeddings",),
        prompt_tokens=largest_input_tokens(request),
        prompt_bound=bound_prompt_tokens(request),
        alias_kind="embedding",
    )


def input_tokens(request: EmbeddingRequest) -> list[int]:
    """An estimate of each input's tokens (what is billed when an upstream says none)."""
    if request.token_arrays:
        return [len(tokens) for tokens in request.token_arrays]
    return [len(text) // _CHARS_PER_TOKEN + 1 for text in request.texts]


def estimate_prompt_tokens(request: EmbeddingRequest) -> int:
    return sum(input_tokens(request))


def largest_input_tokens(request: EmbeddingRequest) -> int:
    return max(input_tokens(request), default=0)


def bound_prompt_tokens(request: EmbeddingRequest) -> int:
    """A bound that errs high (ASCII at four characters a token, any other character a
    token of its own), for the reservation, which must not fall short."""
    if request.token_arrays:
        return sum(len(tokens) for tokens in request.token_arrays)
    return sum(text_tokens(text) for text in request.texts)

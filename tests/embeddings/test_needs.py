"""What an embedding request needs of a model: the per-input size the context window is
checked against, and the batch bound the reservation is made from."""

from __future__ import annotations

from gate_service.domain.embeddings import EmbeddingRequest
from gate_service.embeddings.needs import (
    bound_prompt_tokens,
    estimate_prompt_tokens,
    needs_of,
)


def test_a_batch_is_checked_per_input_and_reserved_whole() -> None:
    req = EmbeddingRequest("agent/embed", texts=["x" * 400] * 100)
    needs = needs_of(req)
    assert needs.alias_kind == "embedding" and needs.capabilities == ("embeddings",)
    assert needs.prompt_tokens == 101  # one input's estimate, not the batch's
    assert needs.prompt_bound == 100 * 101 == bound_prompt_tokens(req)
    assert estimate_prompt_tokens(req) == 100 * 101


def test_token_ids_count_exactly_and_non_ascii_errs_high() -> None:
    assert bound_prompt_tokens(EmbeddingRequest("m", token_arrays=[[1, 2], [3]])) == 3
    assert bound_prompt_tokens(EmbeddingRequest("m", texts=["語" * 10])) == 11

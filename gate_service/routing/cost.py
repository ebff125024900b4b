"""What a request cost, from the catalog's prices and the upstream's token counts."""

from __future__ import annotations

from gate_service.catalog.schema import ModelInfo
from gate_service.domain import Usage


def counted_usage(prompt_tokens: int, completion_chars: int) -> Usage:
    """Usage counted by us, for an upstream stream that reported none: the prompt
    estimate and the streamed text at four characters a token (marked ``estimated``)."""
    completion = -(-completion_chars // 4)
    return Usage(prompt_tokens, completion, prompt_tokens + completion, extra={"estimated": True})


def cost_usd(model: ModelInfo | None, usage: Usage | None) -> float:
    """USD for one completion; cached input is priced apart; unknown models cost 0."""
    if model is None or usage is None:
        return 0.0
    prompt = usage.prompt_tokens
    completion = usage.completion_tokens
    cached = min(prompt, usage.cached_tokens or 0)
    total = (
        (prompt - cached) * model.input_per_million
        + cached * model.cached_input_per_million
        + completion * model.output_per_million
    )
    return round(total / 1_000_000, 10)

"""What a request cost, from the catalog's prices and the upstream's token counts."""

from __future__ import annotations

from typing import Any

from gate_service.catalog.schema import ModelInfo


def counted_usage(prompt_tokens: int, completion_chars: int) -> dict[str, Any]:
    """Usage counted by us, for an upstream stream that reported none: the prompt
    estimate and the streamed text at four characters a token (marked ``estimated``)."""
    completion = -(-completion_chars // 4)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": prompt_tokens + completion,
        "estimated": True,
    }


def cost_usd(model: ModelInfo | None, usage: dict[str, Any] | None) -> float:
    """USD for one completion; cached input is priced apart; unknown models cost 0."""
    if model is None or not usage:
        return 0.0
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    details = usage.get("prompt_tokens_details") or {}
    cached = min(prompt, int(details.get("cached_tokens") or 0)) if isinstance(details, dict) else 0
    total = (
        (prompt - cached) * model.input_per_million
        + cached * model.cached_input_per_million
        + completion * model.output_per_million
    )
    return round(total / 1_000_000, 10)

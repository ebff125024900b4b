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
    """USD for one call: tokens (cached input priced apart), plus images, characters and
    audio seconds at the model's unit prices; unknown models cost 0."""
    if model is None or usage is None:
        return 0.0
    prompt = usage.prompt_tokens
    completion = usage.completion_tokens
    cached = min(prompt, usage.cached_tokens or 0)
    total = (
        (prompt - cached) * model.input_per_million
        + cached * model.cached_input_per_million
        + completion * model.output_per_million
    ) / 1_000_000 + units_usd(model, usage.images, usage.characters, usage.audio_seconds)
    return round(total, 10)


def units_usd(model: ModelInfo, images: int, characters: int, audio_seconds: float) -> float:
    """USD for the non-token units of a call at the model's unit prices."""
    return (
        images * model.per_image_usd
        + characters * model.per_character_usd
        + audio_seconds * model.per_audio_second_usd
    )

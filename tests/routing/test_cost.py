"""Cost per wire format (golden): the adapter's usage, then the catalog's prices, with
cached input priced apart and reasoning tokens counted as output."""

from __future__ import annotations

import orjson
import pytest

from gate_service.catalog.loader import load_bundled
from gate_service.catalog.snapshot import Catalog
from gate_service.chat.attempts import text_length
from gate_service.domain import Usage
from gate_service.domain.openai_json import chunk_from_json, usage_to_json
from gate_service.providers.anthropic import AnthropicAdapter
from gate_service.providers.base import Target
from gate_service.providers.gemini import GeminiAdapter
from gate_service.providers.openai_compat import OpenAIAdapter
from gate_service.routing.cost import cost_usd, counted_usage

CATALOG = Catalog(load_bundled())


def target(model_id: str) -> Target:
    model = CATALOG.model(model_id)
    assert model is not None
    provider = CATALOG.provider(model.provider)
    assert provider is not None
    return Target(provider, model.provider_model, "http://127.0.0.1:1/v1")


def expected(model_id: str, prompt: int, cached: int, completion: int) -> float:
    m = CATALOG.model(model_id)
    assert m is not None
    return round(
        (
            (prompt - cached) * m.input_per_million
            + cached * m.cached_input_per_million
            + completion * m.output_per_million
        )
        / 1_000_000,
        10,
    )


OPENAI_ANSWER = {
    "id": "x",
    "object": "chat.completion",
    "created": 1,
    "model": "llama-3.3-70b-versatile",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
    ],
    "usage": {
        "prompt_tokens": 1000,
        "completion_tokens": 500,
        "total_tokens": 1500,
        "prompt_tokens_details": {"cached_tokens": 200},
    },
}
ANTHROPIC_ANSWER = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-3-5-haiku-latest",
    "content": [{"type": "text", "text": "hi"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 600,
        "output_tokens": 300,
        "cache_read_input_tokens": 400,
        "cache_creation_input_tokens": 0,
    },
}
GEMINI_ANSWER = {
    "candidates": [
        {
            "content": {"role": "model", "parts": [{"text": "hi"}]},
            "finishReason": "STOP",
            "index": 0,
        }
    ],
    "usageMetadata": {
        "promptTokenCount": 1000,
        "candidatesTokenCount": 200,
        "thoughtsTokenCount": 300,
        "cachedContentTokenCount": 100,
        "totalTokenCount": 1500,
    },
    "modelVersion": "gemini-2.5-flash",
    "responseId": "r1",
}


@pytest.mark.parametrize(
    ("adapter", "model_id", "answer", "prompt", "cached", "completion"),
    [
        (OpenAIAdapter(), "groq/llama-3.3-70b-versatile", OPENAI_ANSWER, 1000, 200, 500),
        # Anthropic: cache reads are part of the prompt, priced at the cached rate.
        (AnthropicAdapter(), "anthropic/claude-3-5-haiku-latest", ANTHROPIC_ANSWER, 1000, 400, 300),
        # Gemini: thinking tokens are output tokens.
        (GeminiAdapter(), "google_ai/gemini-2.5-flash", GEMINI_ANSWER, 1000, 100, 500),
    ],
)
def test_cost_per_wire_format(
    adapter: object,
    model_id: str,
    answer: dict[str, object],
    prompt: int,
    cached: int,
    completion: int,
) -> None:
    parsed = adapter.parse_response(target(model_id), orjson.dumps(answer))  # type: ignore[attr-defined]
    usage = parsed.usage
    assert usage.prompt_tokens == prompt
    assert usage.completion_tokens == completion
    assert (usage.cached_tokens or 0) == cached
    cost = cost_usd(CATALOG.model(model_id), usage)
    assert cost == expected(model_id, prompt, cached, completion)
    assert cost > 0


def test_cached_input_is_cheaper_than_fresh_input() -> None:
    model = CATALOG.model("anthropic/claude-3-5-haiku-latest")
    fresh = cost_usd(model, Usage(prompt_tokens=1000, completion_tokens=0))
    cached = cost_usd(model, Usage(prompt_tokens=1000, completion_tokens=0, cached_tokens=1000))
    assert 0 < cached < fresh


def test_a_stream_without_usage_is_metered_by_counting() -> None:
    chunk = chunk_from_json(
        {
            "choices": [
                {
                    "delta": {
                        "content": "abcd" * 10,
                        "tool_calls": [{"function": {"arguments": "{}"}}],
                    }
                }
            ]
        }
    )
    chars = text_length(chunk)
    assert chars == 42
    usage = counted_usage(30, chars)
    assert usage_to_json(usage) == {
        "prompt_tokens": 30,
        "completion_tokens": 11,
        "total_tokens": 41,
        "estimated": True,
    }
    assert cost_usd(CATALOG.model("groq/llama-3.3-70b-versatile"), usage) > 0


def test_unknown_models_cost_nothing() -> None:
    assert cost_usd(None, Usage(prompt_tokens=10, completion_tokens=10)) == 0.0

"""Planning reads a request only through its Needs, so any kind of call plans the same
way: a capability the model lacks is a verdict, not a chat-only rule."""

from __future__ import annotations

import pytest

from gate_service.chat.needs import needs_of
from gate_service.errors import GateError
from gate_service.providers.registry import default_adapters
from gate_service.routing.plan import Needs, plan
from gate_service.routing.resolve import resolve
from tests.domain.build import chat_request
from tests.routing.test_controls import CATALOG, pool

MODEL = "groq/llama-3.1-8b-instant"


def _verdicts(needs: Needs) -> list[str]:
    with pytest.raises(GateError) as refused:
        plan(resolve(CATALOG, needs.model), needs, None, pool(), default_adapters())
    assert refused.value.code == "no_qualifying_model"
    return [c["verdict"] for c in refused.value.body["spidergate_error"]["candidates"]]


def test_a_capability_no_candidate_has_is_named_in_the_verdict() -> None:
    assert _verdicts(Needs(model=MODEL, capabilities=("embeddings",))) == [
        "model does not support embeddings"
    ]


def test_a_model_with_the_capability_qualifies() -> None:
    planned = plan(resolve(CATALOG, MODEL), Needs(model=MODEL), None, pool(), default_adapters())
    assert [p.item.model_id for p in planned] == ["llama-3.1-8b-instant"]


def test_chat_needs_follow_the_request() -> None:
    body = {
        "model": MODEL,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}},
                ],
            }
        ],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
        "max_tokens": 7,
        "spidergate_options": {"fallback_models": ["gpt-4o"], "max_cost_usd": 0.5},
    }
    needs = needs_of(chat_request(body))
    assert needs.capabilities == ("function_calling", "vision")
    assert needs.fallback_models == ("gpt-4o",)
    assert needs.max_output == 7 and needs.max_cost_usd == 0.5
    # The bound counts the image at the dearest detail level; the estimate does not.
    assert needs.prompt_bound >= 1000 > needs.prompt_tokens > 0

"""A token's model controls in planning: allow-lists and free-only (auth-and-controls.md)."""

from __future__ import annotations

import pytest

from gate_service.catalog.loader import load_bundled
from gate_service.catalog.snapshot import Catalog
from gate_service.errors import GateError
from gate_service.providers.registry import default_adapters
from gate_service.routing.keys import KeyPool, UsableKey
from gate_service.routing.plan import ModelControls, plan
from gate_service.routing.resolve import resolve
from tests.domain.build import chat_request

CATALOG = Catalog(load_bundled())


def pool() -> KeyPool:
    keys = KeyPool()
    keys.replace(
        UsableKey(f"k-{p.id}", p.id, None, "x…y", "http://127.0.0.1:1/v1", "vault", "s")
        for p in CATALOG.providers
    )
    return keys


def planned(model: str, allowed: set[str] | None = None, free_only: bool = False) -> list[str]:
    request = chat_request({"model": model, "messages": [{"role": "user", "content": "hi"}]})
    controls = ModelControls(model, frozenset(allowed or ()), free_only)
    chain = resolve(CATALOG, model)
    result = plan(chain, request, None, pool(), default_adapters(), controls)
    return [f"{p.item.provider.id}:{p.item.model_id}" for p in result]


def test_no_controls_allow_everything() -> None:
    assert planned("spideriq/fast")[0] == "groq:llama-3.1-8b-instant"


def test_an_allowed_alias_allows_its_whole_chain() -> None:
    assert planned("spideriq/fast", {"spideriq/fast"}) == planned("spideriq/fast")


def test_concrete_ids_in_the_list_filter_an_alias() -> None:
    assert planned("spideriq/fast", {"cerebras/llama3.1-8b"}) == ["cerebras:llama3.1-8b"]
    assert planned("spideriq/fast", {"mistral-small-latest"}) == ["mistral:mistral-small-latest"]


def test_a_model_outside_the_list_is_403() -> None:
    with pytest.raises(GateError) as info:
        planned("gpt-4o", {"spideriq/fast"})
    assert info.value.code == "model_not_allowed" and info.value.http_status == 403


def test_free_only_filters_an_alias_to_free_candidates() -> None:
    chain = planned("spideriq/free", free_only=True)
    assert chain and all(CATALOG.model(c.replace(":", "/", 1)).free_tier for c in chain)  # type: ignore[union-attr]


def test_free_only_refuses_a_paid_model() -> None:
    with pytest.raises(GateError) as paid:
        planned("anthropic/claude-3-5-haiku-latest", free_only=True)
    assert paid.value.code == "model_not_allowed"


def test_free_only_serves_a_concrete_id_from_a_free_provider_of_it() -> None:
    # gpt-4o is served by OpenAI, OpenRouter and GitHub Models' free tier: free-only picks
    # the free one rather than refusing.
    assert planned("gpt-4o", free_only=True) == ["github_models:openai/gpt-4o"]


def test_free_only_alias_without_free_candidates_is_422() -> None:
    paid_alias = next(
        a.id
        for a in CATALOG.chat_aliases()
        if not a.falls_through_to
        and all(not (m := CATALOG.model(c.model_id)) or not m.free_tier for c in a.chain)
    )
    with pytest.raises(GateError) as info:
        planned(paid_alias, free_only=True)
    assert info.value.code == "no_qualifying_model"
    assert info.value.body["spidergate_error"]["candidates"]

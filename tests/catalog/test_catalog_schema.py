"""Document converters round-trip exactly; malformed documents fail loudly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gate_service.catalog.loader import load_bundled
from gate_service.catalog.schema import (
    AliasInfo,
    Candidate,
    CatalogRecord,
    ModelInfo,
    ProviderInfo,
    from_document,
    kind_of,
    to_document,
)


def all_records() -> list[CatalogRecord]:
    data = load_bundled()
    return [*data.providers, *data.models, *data.aliases]


@pytest.mark.parametrize("record", all_records(), ids=lambda r: f"{kind_of(r)}:{r.id}")
def test_record_document_round_trip(record: CatalogRecord) -> None:
    document = to_document(record)
    assert from_document(kind_of(record), document) == record
    # Through JSON text too, as the database stores it.
    again = json.loads(json.dumps(document))
    assert again == document
    assert to_document(from_document(kind_of(record), again)) == document


def test_document_shapes() -> None:
    model = ModelInfo(
        provider="groq",
        provider_model="llama-3.1-8b-instant",
        display_name="Llama",
        context_window=131072,
        max_output_tokens=8192,
        capabilities=("chat", "streaming"),
        free_tier=True,
        input_per_million=0.05,
        output_per_million=0.08,
        cached_input_per_million=0.05,
        created=1721692800,
        also_known_as=("llama-3.1-8b",),
    )
    document = to_document(model)
    assert document["pricing"] == {
        "input": 0.05,
        "output": 0.08,
        "cached_input": 0.05,
        "image": 0.0,
        "character": 0.0,
        "audio_second": 0.0,
    }
    assert document["dimensions"] is None
    assert model.id == "groq/llama-3.1-8b-instant"
    alias = AliasInfo(
        id="x/y",
        use_case="test",
        chain=(Candidate("openrouter", "a/b:free"),),
        falls_through_to="agent/chat",
    )
    assert to_document(alias)["chain"] == ["openrouter:a/b:free"]
    provider = ProviderInfo(
        id="p", name="P", api_format="openai", base_url="https://p", headers=(("X-A", "1"),)
    )
    assert to_document(provider)["headers"] == {"X-A": "1"}


def test_optional_fields_take_defaults() -> None:
    provider = from_document(
        "provider", {"id": "p", "name": "P", "api_format": "openai", "base_url": "https://p"}
    )
    assert isinstance(provider, ProviderInfo)
    assert provider.key_required and provider.auth == "bearer" and provider.headers == ()
    model = from_document(
        "model",
        {
            "provider": "p",
            "provider_model": "m",
            "display_name": "M",
            "context_window": 1000,
            "max_output_tokens": 100,
            "capabilities": ["chat"],
            "pricing": {"input": 2, "output": 3},
        },
    )
    assert isinstance(model, ModelInfo)
    # No published cache discount: cached input costs the same as input.
    assert model.cached_input_per_million == 2.0
    assert model.also_known_as == () and model.free_tier is False
    alias = from_document("alias", {"id": "a", "chain": ["p:m"]})
    assert isinstance(alias, AliasInfo)
    assert alias.kind == "chat" and alias.falls_through_to is None and alias.dimensions is None


def test_candidate_parse_splits_on_first_colon() -> None:
    assert Candidate.parse("openrouter:meta-llama/llama-3.3-70b-instruct:free") == Candidate(
        "openrouter", "meta-llama/llama-3.3-70b-instruct:free"
    )
    assert Candidate.parse("ollama:llama3.1:8b").model == "llama3.1:8b"
    assert Candidate("groq", "x").model_id == "groq/x"
    for bad in ("no-colon", ":model", "provider:"):
        with pytest.raises(ValueError):
            Candidate.parse(bad)


BASE_MODEL: dict[str, Any] = {
    "provider": "p",
    "provider_model": "m",
    "display_name": "M",
    "context_window": 1000,
    "max_output_tokens": 100,
    "capabilities": ["chat"],
}


@pytest.mark.parametrize(
    ("kind", "document"),
    [
        ("model", {**BASE_MODEL, "context_window": "128k"}),
        ("model", {**BASE_MODEL, "context_window": True}),
        ("model", {**BASE_MODEL, "capabilities": "chat"}),
        ("model", {**BASE_MODEL, "pricing": {"input": "cheap"}}),
        ("model", {k: v for k, v in BASE_MODEL.items() if k != "display_name"}),
        ("alias", {"id": "a", "chain": ["nocolon"]}),
        ("alias", {"id": "a", "chain": ["p:m"], "kind": "rerank"}),
        ("provider", {"id": "p", "name": "P", "api_format": "openai"}),
        ("provider", {"id": "p", "name": "P", "api_format": "openai", "base_url": "u", "local": 1}),
        ("widget", {"id": "w"}),
    ],
)
def test_malformed_documents_are_rejected(kind: str, document: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        from_document(kind, document)


def test_strict_mode_rejects_unknown_fields() -> None:
    document = {**BASE_MODEL, "context_windw": 5}
    assert from_document("model", document).id == "p/m"
    with pytest.raises(ValueError, match="context_windw"):
        from_document("model", document, strict=True)

"""``validate`` refuses inconsistent catalogs and names every problem."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gate_service.catalog.loader import load_bundled, validate
from gate_service.catalog.schema import AliasInfo, Candidate, CatalogData


@pytest.fixture(scope="module")
def data() -> CatalogData:
    return load_bundled()


def with_alias(data: CatalogData, alias: AliasInfo) -> CatalogData:
    return replace(data, aliases=(*data.aliases, alias))


def test_duplicate_provider_id(data: CatalogData) -> None:
    bad = replace(data, providers=(*data.providers, data.providers[0]))
    with pytest.raises(ValueError, match="duplicate provider id 'groq'"):
        validate(bad)


def test_duplicate_model_id(data: CatalogData) -> None:
    bad = replace(data, models=(*data.models, data.models[0]))
    with pytest.raises(ValueError, match="duplicate model id"):
        validate(bad)


def test_duplicate_alias_id(data: CatalogData) -> None:
    with pytest.raises(ValueError, match="duplicate alias id 'spideriq/fast'"):
        validate(with_alias(data, data.aliases[0]))


def test_candidate_with_unknown_provider(data: CatalogData) -> None:
    alias = AliasInfo("x/y", "test", (Candidate("nope", "m"),))
    with pytest.raises(ValueError, match="unknown provider in nope:m"):
        validate(with_alias(data, alias))


def test_candidate_with_unknown_model(data: CatalogData) -> None:
    alias = AliasInfo("x/y", "test", (Candidate("groq", "not-a-model"),))
    with pytest.raises(ValueError, match="groq:not-a-model is not in the catalog"):
        validate(with_alias(data, alias))


def test_local_providers_accept_any_model_name(data: CatalogData) -> None:
    alias = AliasInfo("x/local", "test", (Candidate("ollama", "anything:latest"),))
    validate(with_alias(data, alias))


def test_unknown_api_format(data: CatalogData) -> None:
    bad_provider = replace(data.providers[0], api_format="soap")
    bad = replace(data, providers=(bad_provider, *data.providers[1:]))
    with pytest.raises(ValueError, match="unknown api_format 'soap'"):
        validate(bad)


def test_unknown_capability(data: CatalogData) -> None:
    bad_model = replace(data.models[0], capabilities=("chat", "telepathy"))
    bad = replace(data, models=(bad_model, *data.models[1:]))
    with pytest.raises(ValueError, match="telepathy"):
        validate(bad)


def test_model_of_unknown_provider(data: CatalogData) -> None:
    bad_model = replace(data.models[0], provider="nope")
    bad = replace(data, models=(*data.models, bad_model))
    with pytest.raises(ValueError, match="unknown provider 'nope'"):
        validate(bad)


def test_bad_fall_through(data: CatalogData) -> None:
    alias = AliasInfo("x/y", "t", (Candidate("groq", "llama-3.1-8b-instant"),), False, "x/none")
    with pytest.raises(ValueError, match="bad falls_through_to"):
        validate(with_alias(data, alias))


def test_embedding_alias_needs_embedding_models(data: CatalogData) -> None:
    alias = AliasInfo(
        "x/embed", "t", (Candidate("groq", "llama-3.1-8b-instant"),), kind="embedding", dimensions=8
    )
    with pytest.raises(ValueError, match="lacks capability 'embeddings'"):
        validate(with_alias(data, alias))


def test_every_problem_is_reported(data: CatalogData) -> None:
    bad = with_alias(
        replace(data, providers=(*data.providers, data.providers[0])),
        AliasInfo("x/y", "t", (Candidate("nope", "m"),)),
    )
    with pytest.raises(ValueError) as excinfo:
        validate(bad)
    assert "duplicate provider id" in str(excinfo.value)
    assert "unknown provider in nope:m" in str(excinfo.value)

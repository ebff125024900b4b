"""Catalog lookups: resolving concrete model ids, alias membership, the model listing."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from gate_service.catalog.loader import load_bundled
from gate_service.catalog.query import ModelQuery
from gate_service.catalog.schema import (
    AliasInfo,
    Candidate,
    CatalogData,
    ModelInfo,
    ProviderInfo,
)
from gate_service.catalog.snapshot import AliasModel, Catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog(load_bundled())


def ids(models: Sequence[ModelInfo | AliasModel]) -> list[str]:
    return [m.id for m in models]


# --- models_serving ----------------------------------------------------------------------


def test_catalog_id_names_exactly_that_model(catalog: Catalog) -> None:
    assert ids(catalog.models_serving("groq/llama-3.1-8b-instant")) == ["groq/llama-3.1-8b-instant"]
    assert ids(catalog.models_serving("openrouter/openai/gpt-4o")) == ["openrouter/openai/gpt-4o"]


def test_bare_provider_model_id(catalog: Catalog) -> None:
    assert ids(catalog.models_serving("llama-3.1-8b-instant")) == ["groq/llama-3.1-8b-instant"]


def test_bare_name_native_before_resellers(catalog: Catalog) -> None:
    assert ids(catalog.models_serving("gpt-4o")) == [
        "openai/gpt-4o",
        "openrouter/openai/gpt-4o",
        "github_models/openai/gpt-4o",
    ]


def test_vendor_prefixed_name_is_also_a_reseller_model_id(catalog: Catalog) -> None:
    # openai/gpt-4o is OpenAI's catalog id and OpenRouter's (and GitHub's) model id.
    assert ids(catalog.models_serving("openai/gpt-4o")) == [
        "openai/gpt-4o",
        "openrouter/openai/gpt-4o",
        "github_models/openai/gpt-4o",
    ]


def test_family_name_reaches_every_host_in_provider_order(catalog: Catalog) -> None:
    served = ids(catalog.models_serving("llama-3.3-70b"))
    # Cerebras calls the model exactly that; the others list it as another name.
    assert served[:4] == [
        "cerebras/llama-3.3-70b",
        "groq/llama-3.3-70b-versatile",
        "nvidia_nim/meta/llama-3.3-70b-instruct",
        "sambanova/Meta-Llama-3.3-70B-Instruct",
    ]
    assert len(served) == len(set(served))


def test_unknown_name_serves_nothing(catalog: Catalog) -> None:
    assert catalog.models_serving("gpt-17-ultra") == []
    assert catalog.models_serving("") == []
    assert catalog.model("groq/gpt-17-ultra") is None
    assert catalog.alias("spideriq/nope") is None
    assert catalog.provider("nope") is None


def test_in_task_aliases(catalog: Catalog) -> None:
    assert catalog.in_task_aliases("mistral/codestral-latest") == (
        "spideriq/coding",
        "spideriq/lead-analysis",
        "spideriq/opvs",
        "agent/coding",
    )
    assert catalog.in_task_aliases("openai/text-embedding-3-small") == (
        "agent/embed",
        "agent/embed-small",
    )
    assert catalog.in_task_aliases("xai/grok-4") == ()


def test_catalog_is_immutable_and_compares_by_data(catalog: Catalog) -> None:
    with pytest.raises(AttributeError):
        catalog.data = catalog.data  # type: ignore[misc]
    assert Catalog(catalog.data) == catalog
    assert hash(Catalog(catalog.data)) == hash(catalog)


# --- list_models ---------------------------------------------------------------------------


def model(
    provider: str,
    name: str,
    *,
    display: str,
    context: int,
    price: float,
    free: bool = False,
    caps: tuple[str, ...] = ("chat", "streaming"),
) -> ModelInfo:
    return ModelInfo(
        provider=provider,
        provider_model=name,
        display_name=display,
        context_window=context,
        max_output_tokens=1000,
        capabilities=caps,
        free_tier=free,
        input_per_million=price,
        output_per_million=price * 2,
        cached_input_per_million=price,
        created=1_700_000_000,
    )


@pytest.fixture(scope="module")
def small() -> Catalog:
    providers = tuple(
        ProviderInfo(id=p, name=p.title(), api_format="openai", base_url=f"https://{p}")
        for p in ("zeta", "alpha")
    )
    models = (
        model("alpha", "a-big", display="Big Alpha", context=1_000_000, price=5.0),
        model("alpha", "a-small", display="small alpha", context=8_000, price=0.1, free=True),
        model("zeta", "z-mid", display="Mid Zeta", context=128_000, price=1.0),
        model(
            "zeta",
            "z-vision",
            display="Zeta Vision",
            context=32_000,
            price=2.0,
            caps=("chat", "vision"),
        ),
    )
    aliases = (
        AliasInfo("t/one", "x", (Candidate("zeta", "z-mid"), Candidate("alpha", "a-small"))),
        AliasInfo("t/two", "x", (Candidate("zeta", "z-mid"),)),
    )
    return Catalog(CatalogData(providers, models, aliases))


def everything(_: ModelInfo) -> bool:
    return True


def listing(catalog: Catalog, **query: object) -> tuple[list[str], int]:
    """The ids of a listing: of the models only unless ``kind`` is given (None: both)."""
    query.setdefault("kind", "model")
    page, total = catalog.list_models(ModelQuery(**query), everything)  # type: ignore[arg-type]
    return ids(page), total


def test_default_sort_is_usage_then_id(small: Catalog) -> None:
    assert listing(small) == (
        ["zeta/z-mid", "alpha/a-small", "alpha/a-big", "zeta/z-vision"],
        4,
    )


@pytest.mark.parametrize(
    ("sort_by", "expected"),
    [
        ("name", ["alpha/a-big", "zeta/z-mid", "alpha/a-small", "zeta/z-vision"]),
        ("provider", ["zeta/z-mid", "zeta/z-vision", "alpha/a-big", "alpha/a-small"]),
        ("context", ["alpha/a-big", "zeta/z-mid", "zeta/z-vision", "alpha/a-small"]),
        ("cost", ["alpha/a-small", "zeta/z-mid", "zeta/z-vision", "alpha/a-big"]),
    ],
)
def test_sorts(small: Catalog, sort_by: str, expected: list[str]) -> None:
    assert listing(small, sort_by=sort_by) == (expected, 4)


def test_filters(small: Catalog) -> None:
    assert listing(small, provider="alpha", sort_by="cost") == (
        ["alpha/a-small", "alpha/a-big"],
        2,
    )
    assert listing(small, provider="nobody") == ([], 0)
    assert listing(small, free_only=True) == (["alpha/a-small"], 1)
    assert listing(small, capability="vision") == (["zeta/z-vision"], 1)
    assert listing(small, capability="telepathy") == ([], 0)
    # Case-insensitive, on the catalog id or the display name.
    assert listing(small, search="ALPHA", sort_by="cost") == (
        ["alpha/a-small", "alpha/a-big"],
        2,
    )
    assert listing(small, search="vision") == (["zeta/z-vision"], 1)


def test_aliases_are_listed_first_and_filtered_by_what_their_chain_serves(
    small: Catalog,
) -> None:
    models = ["zeta/z-mid", "alpha/a-small", "alpha/a-big", "zeta/z-vision"]
    assert listing(small, kind=None) == (["t/one", "t/two", *models], 6)
    assert listing(small, kind="alias") == (["t/one", "t/two"], 2)
    # A candidate of the chain qualifies the alias: t/one may route to alpha's free model.
    assert listing(small, kind="alias", provider="alpha") == (["t/one"], 1)
    assert listing(small, kind="alias", free_only=True) == (["t/one"], 1)
    assert listing(small, kind="alias", capability="vision") == ([], 0)
    assert listing(small, kind="alias", search="TWO") == (["t/two"], 1)
    assert listing(small, kind=None, sort_by="context", limit=3) == (
        ["alpha/a-big", "t/one", "t/two"],
        6,
    )


def test_an_alias_as_a_model_entry(small: Catalog) -> None:
    one = small.alias_model("t/one")
    assert one is not None and [m.id for m in one.members] == ["zeta/z-mid", "alpha/a-small"]
    # What the chain can serve: the largest window, the union of capabilities...
    assert (one.context_window, one.max_output_tokens) == (128_000, 1000)
    assert one.capabilities == ("chat", "streaming") and one.free_tier
    # ...priced as its first choice, which serves while it is healthy.
    assert (one.input_per_million, one.output_per_million) == (1.0, 2.0)
    assert one.configured(lambda m: m.provider == "alpha")
    assert not one.configured(lambda m: False)
    assert small.alias_model("zeta/z-mid") is None and small.alias_model("nothing") is None


def test_configured_only_asks_the_callback(small: Catalog) -> None:
    asked: list[str] = []

    def configured(m: ModelInfo) -> bool:
        asked.append(m.id)
        return m.provider == "zeta"

    page, total = small.list_models(
        ModelQuery(configured_only=True, provider="zeta", kind="model"), configured
    )
    assert (ids(page), total) == (["zeta/z-mid", "zeta/z-vision"], 2)
    assert sorted(asked) == ["zeta/z-mid", "zeta/z-vision"]
    page, _ = small.list_models(ModelQuery(kind="model"), configured)
    assert len(page) == 4 and len(asked) == 2


def test_paging_reports_the_total_before_paging(small: Catalog) -> None:
    assert listing(small, sort_by="context", limit=2) == (["alpha/a-big", "zeta/z-mid"], 4)
    assert listing(small, sort_by="context", limit=2, offset=2) == (
        ["zeta/z-vision", "alpha/a-small"],
        4,
    )
    assert listing(small, offset=10) == ([], 4)


def test_bundled_usage_sort_puts_busiest_models_first(catalog: Catalog) -> None:
    page, total = catalog.list_models(ModelQuery(limit=3, kind="model"), everything)
    assert total == len(catalog.models)
    counts = [len(catalog.in_task_aliases(m.id)) for m in page]
    assert counts == sorted(counts, reverse=True)
    # In 8 chains, more than any other model.
    assert page[0].id == "groq/llama-3.3-70b-versatile"

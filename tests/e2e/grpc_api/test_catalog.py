"""CatalogService through the generated Python stubs: health, models (filters, paging,
totals), one model by an id with slashes, aliases, providers."""

from __future__ import annotations

import grpc
import pytest

from spidergate.v1 import (
    catalog_pb2,
    catalog_pb2_grpc,
)
from tests.e2e.grpc_api.support import (
    TIMEOUT,
    bearer,
    rich_error,
)
from tests.stack import Stack

# ------------------------------------------------------------------------------ catalog


def test_get_health(catalog: catalog_pb2_grpc.CatalogServiceStub, stack: Stack) -> None:
    health = catalog.GetHealth(catalog_pb2.GetHealthRequest(), timeout=TIMEOUT)
    assert health.status == "ok"
    assert health.version == stack.core.version
    assert health.uptime_seconds >= 0


def test_list_models_filters_paging_total(
    catalog: catalog_pb2_grpc.CatalogServiceStub, stack: Stack
) -> None:
    every = catalog.ListModels(catalog_pb2.ListModelsRequest(), timeout=TIMEOUT)
    # The catalog's models and its chat aliases, listed as models too.
    n = len(stack.core.catalog.models) + len(stack.core.catalog.chat_aliases())
    assert every.total == n
    assert len(every.models) == min(n, 500)
    assert len({m.id for m in every.models}) == len(every.models)

    page1 = catalog.ListModels(catalog_pb2.ListModelsRequest(limit=3), timeout=TIMEOUT)
    page2 = catalog.ListModels(catalog_pb2.ListModelsRequest(limit=3, offset=3), timeout=TIMEOUT)
    six = catalog.ListModels(catalog_pb2.ListModelsRequest(limit=6), timeout=TIMEOUT)
    assert len(page1.models) == len(page2.models) == 3
    assert page1.total == page2.total == n
    assert [m.id for m in (*page1.models, *page2.models)] == [m.id for m in six.models]
    past_end = catalog.ListModels(catalog_pb2.ListModelsRequest(offset=n + 10), timeout=TIMEOUT)
    assert past_end.total == n and len(past_end.models) == 0

    groq = catalog.ListModels(catalog_pb2.ListModelsRequest(provider="groq"), timeout=TIMEOUT)
    expected_groq = sum(1 for m in stack.core.catalog.models if m.provider == "groq")
    routing_to_groq = sum(
        any(c.provider == "groq" for c in a.chain) for a in stack.core.catalog.chat_aliases()
    )
    assert groq.total == expected_groq + routing_to_groq and expected_groq > 0
    assert routing_to_groq > 0
    for m in groq.models:
        if m.kind == "model":
            assert m.provider == "groq" and m.owned_by == "groq"
        else:
            assert m.kind == "alias" and any(c.provider == "groq" for c in m.chain)

    free = catalog.ListModels(catalog_pb2.ListModelsRequest(free_only=True), timeout=TIMEOUT)
    assert 0 < free.total < n
    assert all(m.free_tier for m in free.models)

    found = catalog.ListModels(catalog_pb2.ListModelsRequest(search="GPT-4O"), timeout=TIMEOUT)
    assert found.total > 0
    assert all("gpt-4o" in m.id.lower() or "gpt-4o" in m.display_name.lower() for m in found.models)
    assert "openai/gpt-4o" in [m.id for m in found.models]

    capability = every.models[0].capabilities[0]
    capable = catalog.ListModels(
        catalog_pb2.ListModelsRequest(capability=capability), timeout=TIMEOUT
    )
    assert capable.total > 0
    assert all(capability in m.capabilities for m in capable.models)

    nothing = catalog.ListModels(
        catalog_pb2.ListModelsRequest(provider="no-such-provider"), timeout=TIMEOUT
    )
    assert nothing.total == 0 and len(nothing.models) == 0

    by_name = catalog.ListModels(
        catalog_pb2.ListModelsRequest(sort_by=catalog_pb2.MODEL_SORT_NAME, limit=2000),
        timeout=TIMEOUT,
    )
    keys = [(m.display_name.casefold(), m.id) for m in by_name.models]
    assert keys == sorted(keys)
    by_context = catalog.ListModels(
        catalog_pb2.ListModelsRequest(sort_by=catalog_pb2.MODEL_SORT_CONTEXT, limit=2000),
        timeout=TIMEOUT,
    )
    windows = [m.context_window for m in by_context.models]
    assert windows == sorted(windows, reverse=True)


def test_aliases_are_models_of_kind_alias(
    catalog: catalog_pb2_grpc.CatalogServiceStub, stack: Stack
) -> None:
    aliases = catalog.ListModels(catalog_pb2.ListModelsRequest(kind="alias"), timeout=TIMEOUT)
    expected = [a.id for a in stack.core.catalog.chat_aliases()]
    assert [m.id for m in aliases.models] == expected and aliases.total == len(expected)
    assert all(m.kind == "alias" and m.chain and m.owned_by == "spidergate" for m in aliases.models)
    models = catalog.ListModels(catalog_pb2.ListModelsRequest(kind="model"), timeout=TIMEOUT)
    assert models.total == len(stack.core.catalog.models)
    assert all(m.kind == "model" and not m.chain for m in models.models)

    fast = catalog.GetModel(catalog_pb2.GetModelRequest(id="spideriq/fast"), timeout=TIMEOUT)
    chain = stack.core.catalog.alias("spideriq/fast")
    assert chain is not None
    assert fast.model.kind == "alias" and fast.model.use_case == chain.use_case
    assert [(c.provider, c.model) for c in fast.model.chain] == [
        (c.provider, c.model) for c in chain.chain
    ]
    with pytest.raises(grpc.RpcError) as info:
        catalog.ListModels(catalog_pb2.ListModelsRequest(kind="aliases"), timeout=TIMEOUT)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_list_models_configured_only_counts_demo_keys(
    catalog: catalog_pb2_grpc.CatalogServiceStub, token: str
) -> None:
    configured = catalog.ListModels(
        catalog_pb2.ListModelsRequest(configured_only=True, provider="groq"),
        metadata=bearer(token),
        timeout=TIMEOUT,
    )
    assert configured.total > 0
    assert all(m.is_configured for m in configured.models)


@pytest.mark.parametrize(
    ("list_request", "param"),
    [
        (catalog_pb2.ListModelsRequest(limit=2001), "limit"),
        (catalog_pb2.ListModelsRequest(limit=-1), "limit"),
        (catalog_pb2.ListModelsRequest(offset=-1), "offset"),
    ],
    ids=["limit-too-big", "limit-negative", "offset-negative"],
)
def test_list_models_bad_paging_is_invalid_argument(
    catalog: catalog_pb2_grpc.CatalogServiceStub,
    list_request: catalog_pb2.ListModelsRequest,
    param: str,
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        catalog.ListModels(list_request, timeout=TIMEOUT)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    detail, _ = rich_error(err.value)
    assert detail.code == "invalid_request" and detail.param == param
    assert detail.http_status == 400


def test_get_model_with_slashes(catalog: catalog_pb2_grpc.CatalogServiceStub) -> None:
    m = catalog.GetModel(catalog_pb2.GetModelRequest(id="openai/gpt-4o"), timeout=TIMEOUT).model
    assert m.id == "openai/gpt-4o"
    assert m.provider == "openai"
    assert m.context_window > 0
    assert m.HasField("pricing") and m.pricing.input_per_million > 0

    resale = catalog.GetModel(
        catalog_pb2.GetModelRequest(id="openrouter/openai/gpt-4o"), timeout=TIMEOUT
    ).model
    assert resale.id == "openrouter/openai/gpt-4o"
    assert resale.provider == "openrouter"

    # A provider's own model id resolves to the model serving it.
    bare = catalog.GetModel(
        catalog_pb2.GetModelRequest(id="llama-3.1-8b-instant"), timeout=TIMEOUT
    ).model
    assert bare.provider_model == "llama-3.1-8b-instant"
    assert "spideriq/fast" in bare.in_task_aliases

    with pytest.raises(grpc.RpcError) as err:
        catalog.GetModel(catalog_pb2.GetModelRequest(id="nope/nothing"), timeout=TIMEOUT)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    detail, _ = rich_error(err.value)
    assert detail.code == "model_not_found" and detail.http_status == 404


def test_list_aliases(catalog: catalog_pb2_grpc.CatalogServiceStub, stack: Stack) -> None:
    aliases = catalog.ListAliases(catalog_pb2.ListAliasesRequest(), timeout=TIMEOUT).aliases
    assert len(aliases) == 26
    assert [a.id for a in aliases] == [a.id for a in stack.core.catalog.chat_aliases()]
    by_id = {a.id: a for a in aliases}
    fast = by_id["spideriq/fast"]
    assert fast.candidates[0].provider == "groq"
    assert fast.candidates[0].model == "llama-3.1-8b-instant"
    for a in aliases:
        assert a.use_case
        assert len(a.candidates) > 0
        assert list(a.models) == [f"{c.provider}:{c.model}" for c in a.candidates]
        if a.falls_through_to:
            assert a.falls_through_to in by_id


def test_list_providers(
    catalog: catalog_pb2_grpc.CatalogServiceStub, stack: Stack, token: str
) -> None:
    providers = catalog.ListProviders(
        catalog_pb2.ListProvidersRequest(), metadata=bearer(token), timeout=TIMEOUT
    ).providers
    assert [p.id for p in providers] == [p.id for p in stack.core.catalog.providers]
    by_id = {p.id: p for p in providers}
    groq = by_id["groq"]
    assert groq.name and groq.api_format == "openai"
    assert groq.is_configured  # the demo key points groq at the mock
    assert {p.api_format for p in providers} <= {"openai", "anthropic", "gemini"}

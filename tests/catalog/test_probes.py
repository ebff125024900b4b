"""The probe (catalog/probes.py) against the mock provider over a real socket, in each
wire format: which models it picks, and the verdict for every way a model can answer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from gate_service.catalog.loader import load_bundled
from gate_service.catalog.probes import ProbeBook, ProbeKey, configured_models, probe_model
from gate_service.catalog.snapshot import Catalog
from gate_service.providers.registry import default_adapters
from mock_provider import MockServer, start_mock

CATALOG = Catalog(load_bundled())
ADAPTERS = default_adapters()
MODELS = (
    "groq/llama-3.1-8b-instant",
    "anthropic/claude-3-5-haiku-latest",
    "google_ai/gemini-2.0-flash",
)


@pytest.fixture
async def mock() -> AsyncIterator[MockServer]:
    server = await start_mock(port=0)
    yield server
    await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def _probe(
    mock: MockServer, session: aiohttp.ClientSession, model_id: str
) -> tuple[bool | None, str]:
    model = CATALOG.model(model_id)
    assert model is not None
    provider = CATALOG.provider(model.provider)
    assert provider is not None
    key = ProbeKey(provider.id, "probe-secret", mock.url)
    result = await probe_model(session, provider, ADAPTERS[provider.api_format], model, key)
    assert result.model_id == model_id
    return result.supports_tools, result.status


@pytest.mark.parametrize("model_id", MODELS)
async def test_each_verdict_in_each_format(
    mock: MockServer, session: aiohttp.ClientSession, model_id: str
) -> None:
    name = model_id.split("/", 1)[1]
    state = mock.state
    assert await _probe(mock, session, model_id) == (True, "ok")
    state.add_fault({"status": 400, "match": {"model": name, "tools": True}, "times": 1})
    assert await _probe(mock, session, model_id) == (False, "no_tools")
    # An empty answer to the tool call (a model still thinking) tells nothing about tools.
    state.add_fault({"kind": "empty", "match": {"model": name, "tools": True}, "times": 1})
    assert await _probe(mock, session, model_id) == (None, "error")
    state.add_fault({"status": 404, "match": {"model": name}, "times": 1})
    assert await _probe(mock, session, model_id) == (None, "delisted")
    state.add_fault({"status": 429, "match": {"model": name, "tools": True}, "times": 1})
    assert await _probe(mock, session, model_id) == (None, "error")
    state.add_fault({"status": 401, "match": {"model": name}, "times": 1})
    assert await _probe(mock, session, model_id) == (None, "error")


def test_configured_models_are_chat_models_of_providers_with_a_key() -> None:
    keys = [ProbeKey("groq", "a", None), ProbeKey("groq", "b", None)]
    picked = configured_models(CATALOG, ADAPTERS, keys)
    assert picked and {m.provider for m, _ in picked} == {"groq"}
    assert all(m.has("chat") for m, _ in picked)
    assert "groq/whisper-large-v3-turbo" not in {m.id for m, _ in picked}
    assert {k.secret for _, k in picked} == {"a"}  # the first key of the provider
    only = configured_models(CATALOG, ADAPTERS, keys, lambda m: m.id == MODELS[0])
    assert [m.id for m, _ in only] == [MODELS[0]]


def test_the_book_answers_none_when_never_probed() -> None:
    assert ProbeBook().supports_tools("groq/x") is None
    assert ProbeBook().status("groq/x") is None

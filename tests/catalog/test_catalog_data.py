"""The shipped catalog matches catalog.md: providers, the 26 task aliases, their chains."""

from __future__ import annotations

import pytest

from gate_service.catalog.loader import load_bundled, validate
from gate_service.catalog.schema import Candidate, CatalogData
from gate_service.catalog.snapshot import Catalog

# The provider table of catalog.md (id -> wire format, base URL), plus llama.cpp.
SPEC_PROVIDERS = {
    "groq": ("openai", "https://api.groq.com/openai/v1"),
    "cerebras": ("openai", "https://api.cerebras.ai/v1"),
    "mistral": ("openai", "https://api.mistral.ai/v1"),
    "openrouter": ("openai", "https://openrouter.ai/api/v1"),
    "nvidia_nim": ("openai", "https://integrate.api.nvidia.com/v1"),
    "google_ai": ("gemini", "https://generativelanguage.googleapis.com/v1beta"),
    "sambanova": ("openai", "https://api.sambanova.ai/v1"),
    "together": ("openai", "https://api.together.xyz/v1"),
    "fireworks": ("openai", "https://api.fireworks.ai/inference/v1"),
    "deepseek": ("openai", "https://api.deepseek.com/v1"),
    "huggingface": ("openai", "https://router.huggingface.co/v1"),
    "github_models": ("openai", "https://models.github.ai/inference"),
    "xai": ("openai", "https://api.x.ai/v1"),
    "openai": ("openai", "https://api.openai.com/v1"),
    "anthropic": ("anthropic", "https://api.anthropic.com/v1"),
    "cohere": ("openai", "https://api.cohere.ai/compatibility/v1"),
    "minimax": ("openai", "https://api.minimax.io/v1"),
    "cloudflare": (
        "openai",
        "https://api.cloudflare.com/client/v4/accounts/{account_id}/ai/v1",
    ),
    "ollama": ("openai", "http://127.0.0.1:11434/v1"),
    "vllm": ("openai", "http://127.0.0.1:8000/v1"),
    "llamacpp": ("openai", "http://127.0.0.1:8081/v1"),
}

SPEC_ALIAS_IDS = [
    "spideriq/fast",
    "spideriq/free",
    "spideriq/chat",
    "spideriq/coding",
    "spideriq/extraction",
    "spideriq/classification",
    "spideriq/summarization",
    "spideriq/translation",
    "spideriq/research",
    "spideriq/lead-analysis",
    "spideriq/creative",
    "spideriq/vision",
    "spideriq/tool-use",
    "spideriq/planning",
    "spideriq/reasoning",
    "spideriq/json",
    "spideriq/long-context",
    "spideriq/opvs",
    "agent/chat",
    "agent/tool-use",
    "agent/coding",
    "agent/planning",
    "agent/creative",
    "agent/vision",
    "agent/research",
    "agent/fast",
]


@pytest.fixture(scope="module")
def data() -> CatalogData:
    return load_bundled()


@pytest.fixture(scope="module")
def catalog(data: CatalogData) -> Catalog:
    return Catalog(data)


def chain_of(catalog: Catalog, alias_id: str) -> list[str]:
    alias = catalog.alias(alias_id)
    assert alias is not None, alias_id
    return [str(c) for c in alias.chain]


def test_bundled_catalog_loads_and_validates(data: CatalogData) -> None:
    validate(data)
    # The chat models; embedding and media models come on top.
    assert 60 <= sum(1 for m in data.models if m.has("chat")) <= 90


def test_providers_match_the_spec_in_order(catalog: Catalog) -> None:
    assert [p.id for p in catalog.providers] == list(SPEC_PROVIDERS)
    for p in catalog.providers:
        assert (p.api_format, p.base_url) == SPEC_PROVIDERS[p.id], p.id


def test_provider_flags(catalog: Catalog) -> None:
    local = {p.id for p in catalog.providers if p.local}
    assert local == {"ollama", "vllm", "llamacpp"}
    assert {p.id for p in catalog.providers if p.any_model} == local
    assert {p.id for p in catalog.providers if not p.key_required} == local
    per_key = {p.id for p in catalog.providers if p.base_url_per_key}
    assert per_key == local | {"cloudflare"}
    paid = {"together", "fireworks", "deepseek", "xai", "openai", "anthropic", "minimax"}
    assert {p.id for p in catalog.providers if not p.free_tier} == paid


def test_provider_auth_follows_wire_format(catalog: Catalog) -> None:
    expected = {"openai": "bearer", "anthropic": "x-api-key", "gemini": "x-goog-api-key"}
    for p in catalog.providers:
        assert p.auth == expected[p.api_format], p.id


def test_provider_env_vars(catalog: Catalog) -> None:
    def env(provider_id: str) -> tuple[str, ...]:
        provider = catalog.provider(provider_id)
        assert provider is not None
        return provider.env_vars

    assert env("groq") == ("GROQ_API_KEY",)
    assert env("google_ai") == ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    assert env("nvidia_nim") == ("NVIDIA_API_KEY", "NVIDIA_NIM_API_KEY")
    assert env("github_models") == ("GITHUB_TOKEN", "GITHUB_MODELS_API_KEY")
    assert env("cloudflare") == ("CLOUDFLARE_API_KEY",)
    assert env("huggingface") == ("HF_TOKEN", "HUGGINGFACE_API_KEY")
    keyed = [p for p in catalog.providers if p.key_required]
    assert all(p.env_vars for p in keyed)


def test_known_rejected_params(catalog: Catalog) -> None:
    groq = catalog.provider("groq")
    cerebras = catalog.provider("cerebras")
    assert groq is not None and cerebras is not None
    assert {"logprobs", "top_logprobs", "logit_bias", "n"} <= set(groq.rejected_params)
    assert {"frequency_penalty", "presence_penalty", "logit_bias"} <= set(cerebras.rejected_params)


def test_openrouter_sends_attribution_headers(catalog: Catalog) -> None:
    openrouter = catalog.provider("openrouter")
    assert openrouter is not None
    assert set(openrouter.header_map()) == {"HTTP-Referer", "X-Title"}


def test_exactly_the_26_chat_aliases_in_spec_order(catalog: Catalog) -> None:
    assert [a.id for a in catalog.chat_aliases()] == SPEC_ALIAS_IDS


def test_chains_verbatim(catalog: Catalog) -> None:
    assert chain_of(catalog, "spideriq/fast") == [
        "groq:llama-3.1-8b-instant",
        "cerebras:llama3.1-8b",
        "sambanova:Meta-Llama-3.1-8B-Instruct",
        "mistral:mistral-small-latest",
    ]
    assert chain_of(catalog, "spideriq/coding") == [
        "mistral:codestral-latest",
        "groq:openai/gpt-oss-120b",
        "deepseek:deepseek-chat",
        "openrouter:qwen/qwen3-coder",
    ]
    assert chain_of(catalog, "spideriq/lead-analysis") == [
        "mistral:codestral-latest",
        "openai:gpt-4o-mini",
        "anthropic:claude-3-5-haiku-latest",
    ]
    assert chain_of(catalog, "agent/chat") == [
        "openai:gpt-4o-mini",
        "minimax:MiniMax-M2.5",
        "groq:llama-3.3-70b-versatile",
        "mistral:mistral-medium-latest",
    ]
    assert chain_of(catalog, "agent/planning") == ["openai:o4-mini", "deepseek:deepseek-reasoner"]


def test_openrouter_free_model_splits_on_the_first_colon(catalog: Catalog) -> None:
    alias = catalog.alias("spideriq/free")
    assert alias is not None
    assert alias.chain[-1] == Candidate("openrouter", "meta-llama/llama-3.3-70b-instruct:free")
    assert alias.chain[2] == Candidate("google_ai", "gemini-2.0-flash")


def test_no_anthropic_model_in_agent_chains(catalog: Catalog) -> None:
    agent = [a for a in catalog.chat_aliases() if a.id.startswith("agent/")]
    assert len(agent) == 8
    for alias in agent:
        assert all(c.provider != "anthropic" for c in alias.chain), alias.id


def test_agent_aliases_fall_through_to_agent_chat(catalog: Catalog) -> None:
    for alias in catalog.chat_aliases():
        if alias.id.startswith("agent/") and alias.id != "agent/chat":
            assert alias.falls_through_to == "agent/chat", alias.id
        else:
            assert alias.falls_through_to is None, alias.id


def test_only_lead_analysis_is_pii_safe(catalog: Catalog) -> None:
    assert [a.id for a in catalog.aliases if a.pii_safe] == ["spideriq/lead-analysis"]


def test_pii_safe_chains_avoid_free_models_of_training_providers(catalog: Catalog) -> None:
    for alias in catalog.aliases:
        if not alias.pii_safe:
            continue
        for candidate in alias.chain:
            provider = catalog.provider(candidate.provider)
            model = catalog.model(candidate.model_id)
            assert provider is not None and model is not None
            assert not (provider.trains_on_free_tier and model.free_tier), str(candidate)


def test_every_chain_candidate_resolves_to_a_model(catalog: Catalog) -> None:
    for alias in catalog.aliases:
        for candidate in alias.chain:
            model = catalog.model(candidate.model_id)
            assert model is not None, f"{alias.id}: {candidate}"
            assert model.provider == candidate.provider
            assert model.provider_model == candidate.model
            assert catalog.models_serving(candidate.model_id)[0] == model


def test_embedding_aliases_are_kept_apart(catalog: Catalog) -> None:
    embed = {a.id: a for a in catalog.embedding_aliases()}
    assert set(embed) == {"agent/embed", "agent/embed-small", "agent/embed-large"}
    assert embed["agent/embed"].dimensions == 1536
    assert embed["agent/embed-small"].dimensions == 1536
    assert embed["agent/embed-large"].dimensions == 3072
    assert [str(c) for c in embed["agent/embed-large"].chain] == ["openai:text-embedding-3-large"]
    assert all(embed[a].kind == "embedding" for a in embed)


def test_openrouter_free_tier_is_only_free_models(catalog: Catalog) -> None:
    for m in catalog.models:
        if m.provider == "openrouter":
            assert m.free_tier == m.provider_model.endswith(":free"), m.id
        if m.provider_model.endswith(":free"):
            assert m.input_per_million == m.output_per_million == 0.0


def test_prices_are_sane(catalog: Catalog) -> None:
    for m in catalog.models:
        assert m.cached_input_per_million <= m.input_per_million, m.id
        assert m.created > 1_600_000_000, m.id
    gpt4o = catalog.model("openai/gpt-4o")
    assert gpt4o is not None
    assert (gpt4o.input_per_million, gpt4o.output_per_million) == (2.5, 10.0)
    assert gpt4o.cached_input_per_million == 1.25

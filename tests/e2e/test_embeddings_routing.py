"""Embeddings through the one pipeline: failover across keys (the mock's scripted faults),
every key failing, keys not marked ``supports_embeddings``, aliases kept to their kind,
validation after authentication, Gemini through our adapter, and the response cache."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gate_service.vault.records import KeyOptions
from tests.stack import Stack

EMBED_MODEL = "text-embedding-3-small"


@pytest.fixture(autouse=True)
def clean(stack: Stack) -> Iterator[None]:
    stack.core.router.health.clear()
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    yield
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    stack.core.router.health.clear()


def fault(stack: Stack, **rule: object) -> None:
    httpx.post(stack.mock.url + "/__mock/faults", json=rule).raise_for_status()


def embed(stack: Stack, token: str, query: str = "", **body: object) -> httpx.Response:
    payload = {"model": "agent/embed", "input": ["alpha", "beta"], **body}
    return httpx.post(
        stack.base_url + "/embeddings" + query,
        json=payload,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def keys_seen(stack: Stack, since: int) -> list[str | None]:
    """The keys the mock was called with since request number ``since``."""
    records = list(stack.mock.state.records)[-(stack.mock.state.total - since) :]
    return [rec.key for rec in records] if stack.mock.state.total > since else []


def new_brand(stack: Stack, name: str) -> tuple[str, str]:
    view, _ = stack.core.identity.create_brand(name)
    _, tok = stack.core.identity.mint_token(view.client_id, "agent", None)
    return view.client_id, str(tok)


def test_a_rate_limited_key_fails_over_to_the_next(
    stack: Stack, add_key: Callable[..., Any]
) -> None:
    client_id, tok = new_brand(stack, "emb-failover")
    url = stack.mock.url + "/openai/v1"
    first = KeyOptions(supports_embeddings=True, priority=1)
    second = KeyOptions(supports_embeddings=True, priority=2)
    add_key("openai", "sk-emb-first", client_id=client_id, base_url=url, options=first)
    add_key("openai", "sk-emb-second", client_id=client_id, base_url=url, options=second)
    fault(stack, kind="error", status=429, times=1, match={"key": "sk-emb-first"})
    start = stack.mock.state.total
    r = embed(stack, tok, "?include_route_trace=true")
    assert r.status_code == 200, r.text
    assert keys_seen(stack, start) == ["sk-emb-first", "sk-emb-second"]
    trace = [(a["outcome"], a["status"], a["error_code"]) for a in r.json()["route_trace"]]
    assert trace == [("error", 429, "rate_limited"), ("success", 200, "")]
    assert len(r.json()["data"]) == 2


def test_every_key_failing_is_all_providers_failed(stack: Stack, token: str) -> None:
    fault(stack, kind="error", status=500, match={"model": EMBED_MODEL})
    r = embed(stack, token)
    assert r.status_code == 502
    assert r.json()["error"]["code"] == "all_providers_failed"
    attempts = r.json()["spidergate_error"]["attempts"]
    assert attempts and all(a["status"] == 500 for a in attempts)


def test_a_key_without_supports_embeddings_is_never_used(
    stack: Stack, add_key: Callable[..., Any]
) -> None:
    client_id, tok = new_brand(stack, "emb-nosupport")
    url = stack.mock.url + "/openai/v1"
    add_key("openai", "sk-chat-only", client_id=client_id, base_url=url, options=KeyOptions())
    start = stack.mock.state.total
    for _ in range(3):
        assert embed(stack, tok).status_code == 200
    used = keys_seen(stack, start)
    assert len(used) == 3 and "sk-chat-only" not in used
    # The same key serves the brand's chat: it is only kept from embeddings.
    start = stack.mock.state.total
    chat = httpx.post(
        stack.base_url + "/chat/completions",
        json={"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {tok}"},
    )
    assert chat.status_code == 200 and keys_seen(stack, start) == ["sk-chat-only"]


def test_aliases_and_models_keep_to_their_kind(stack: Stack, token: str) -> None:
    chat = httpx.post(
        stack.base_url + "/chat/completions",
        json={"model": "agent/embed", "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert chat.status_code == 404
    r = embed(stack, token, model="gpt-4o-mini")
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_qualifying_model"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": []}, "input"),
        ({"input": ["ok", ""]}, "input[1]"),
        ({"input": ""}, "input"),
        ({"input": ["x"] * 2049}, "input"),
        ({"input": [1, -2]}, "input[1]"),
        ({"input": [[1], []]}, "input[1]"),
        ({"input": [{"text": "x"}]}, "input"),
        ({"encoding_format": "int8"}, "encoding_format"),
        ({"dimensions": 0}, "dimensions"),
        ({"dimensions": 2**31 - 1}, "dimensions"),
        ({"dimensions": "64"}, "dimensions"),
    ],
)
def test_bad_input_is_a_400_naming_the_param_after_auth(
    stack: Stack, token: str, body: dict[str, Any], param: str
) -> None:
    assert embed(stack, "sg-not-a-token", **body).status_code == 401
    r = embed(stack, token, **body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param


def test_gemini_through_our_adapter(stack: Stack, token: str) -> None:
    start = stack.mock.state.total
    r = embed(stack, token, model="google_ai/gemini-embedding-001", dimensions=64)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "gemini-embedding-001"
    assert [len(d["embedding"]) for d in body["data"]] == [64, 64]
    assert body["usage"]["prompt_tokens"] > 0  # estimated: Gemini reports none
    assert body["spidergate_metadata"]["provider"] == "google_ai"
    record = list(stack.mock.state.records)[-1]
    assert stack.mock.state.total == start + 1 and record.key == "demo-key-google_ai"


def test_cache_hit_is_billed_nothing(stack: Stack, token: str) -> None:
    options = {"cache_enabled": True}
    inputs = ["cache me", "please"]
    first = embed(stack, token, input=inputs, spidergate_options=options)
    start = stack.mock.state.total
    again = embed(stack, token, input=inputs, spidergate_options=options, encoding_format="base64")
    assert first.status_code == again.status_code == 200
    assert stack.mock.state.total == start  # no provider call
    meta = again.json()["spidergate_metadata"]
    assert meta["cache_hit"] is True and meta["cost_usd"] == 0
    assert first.json()["spidergate_metadata"]["cache_hit"] is False
    import base64
    from array import array

    decoded = array("f")
    decoded.frombytes(base64.b64decode(again.json()["data"][0]["embedding"]))
    assert decoded.tolist() == first.json()["data"][0]["embedding"]
    other = embed(stack, token, input=["cache me", "not the same"], spidergate_options=options)
    assert other.json()["spidergate_metadata"]["cache_hit"] is False


def test_fallback_models_serve_when_the_first_choice_fails(stack: Stack, token: str) -> None:
    fault(stack, kind="error", status=503, match={"model": EMBED_MODEL})
    start = stack.mock.state.total
    r = embed(
        stack,
        token,
        user="end-user-1",
        spidergate_options={"fallback_models": ["mistral/mistral-embed"]},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "mistral-embed"
    assert [len(d["embedding"]) for d in body["data"]] == [1024, 1024]
    meta = body["spidergate_metadata"]
    assert meta["fallback_used"] is True and meta["original_model"] == EMBED_MODEL
    assert r.headers["X-SpiderGate-Fallback-From"] == EMBED_MODEL
    sent = list(stack.mock.state.records)[-1].body
    assert "user" not in sent  # Mistral refuses it: the catalog's rejected_params
    assert stack.mock.state.total - start == 2


def test_excluded_provider_and_preferred_provider(stack: Stack, token: str) -> None:
    options = {
        "fallback_models": ["mistral/mistral-embed"],
        "preferred_providers": ["mistral"],
    }
    r = embed(stack, token, spidergate_options=options)
    assert r.status_code == 200 and r.json()["model"] == "mistral-embed"
    options = {"excluded_providers": ["openai"]}
    r = embed(stack, token, spidergate_options=options)
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_qualifying_model"

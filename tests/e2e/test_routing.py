"""Routing through the real stack: which key and candidate serve, and the fallback rules
this build implements (upstream 5xx/429 -> next candidate, provider 400 -> returned)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.stack import Stack


@pytest.fixture(autouse=True)
def fresh_health(stack: Stack) -> Iterator[None]:
    """Each test starts with every key healthy (key health outlives requests by design)."""
    stack.core.router.health.clear()
    yield
    stack.core.router.health.clear()


@pytest.fixture
def mock_admin(stack: Stack) -> Iterator[str]:
    yield stack.mock.url
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()


def _chat(stack: Stack, token: str, query: str = "", **body: object) -> httpx.Response:
    payload = {"model": "spideriq/fast", "messages": [{"role": "user", "content": "hi"}], **body}
    return httpx.post(
        stack.base_url + "/chat/completions" + query,
        json=payload,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _fault(url: str, **rule: object) -> None:
    httpx.post(url + "/__mock/faults", json=rule).raise_for_status()


def test_brand_keys_come_before_pool_keys(
    stack: Stack, token: str, brand: tuple[str, str], add_key: Callable[..., Any]
) -> None:
    other_brand, _ = stack.core.identity.create_brand("globex")
    _, other_token = stack.core.identity.mint_token(other_brand.client_id, "g", None)
    add_key(
        "cerebras",
        "csk-acme-own-key",
        client_id=brand[0],
        base_url=stack.mock.url + "/acme-cerebras/v1",
    )
    r = _chat(stack, token, model="cerebras/llama3.1-8b")
    assert r.status_code == 200
    last = stack.mock.state.records[-1]
    assert last.key == "csk-acme-own-key" and last.prefix.startswith("/acme-cerebras")
    r = _chat(stack, str(other_token), model="cerebras/llama3.1-8b")
    assert r.status_code == 200
    assert stack.mock.state.records[-1].key == "demo-key-cerebras"  # the pool's


def test_local_server_serves_any_model_name(
    stack: Stack, token: str, brand: tuple[str, str], add_key: Callable[..., Any]
) -> None:
    add_key("vllm", "vllm-api-key", client_id=brand[0], base_url=stack.mock.url + "/my-vllm/v1")
    r = _chat(stack, token, model="vllm/Qwen/Qwen2.5-7B-Instruct")
    assert r.status_code == 200, r.text
    assert r.json()["model"] == "Qwen/Qwen2.5-7B-Instruct"
    last = stack.mock.state.records[-1]
    assert last.body["model"] == "Qwen/Qwen2.5-7B-Instruct" and last.prefix.startswith("/my-vllm")


def test_upstream_5xx_falls_back_to_the_next_candidate(
    stack: Stack, token: str, mock_admin: str
) -> None:
    _fault(mock_admin, status=500, match={"model": "llama-3.1-8b-instant"})
    r = _chat(stack, token, "?include_route_trace=true")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "llama3.1-8b"  # cerebras, the chain's second choice
    assert r.headers["x-spidergate-fallback-from"] == "llama-3.1-8b-instant"
    meta = body["spidergate_metadata"]
    assert meta["fallback_used"] is True and meta["original_model"] == "llama-3.1-8b-instant"
    outcomes = [(a["provider"], a["outcome"], a["status"]) for a in body["route_trace"]]
    assert outcomes == [("groq", "error", 500), ("cerebras", "success", 200)]


def test_streaming_falls_back_before_the_first_chunk(
    stack: Stack, token: str, mock_admin: str
) -> None:
    _fault(
        mock_admin,
        status=429,
        headers={"Retry-After": "3"},
        match={"model": "llama-3.1-8b-instant"},
    )
    r = _chat(stack, token, stream=True)
    assert r.status_code == 200
    assert r.headers["x-spidergate-fallback-from"] == "llama-3.1-8b-instant"
    assert '"model":"llama3.1-8b"' in r.text and r.text.rstrip().endswith("[DONE]")


def test_provider_400_is_returned_and_not_retried(
    stack: Stack, token: str, mock_admin: str
) -> None:
    before = stack.mock.state.total
    _fault(
        mock_admin,
        status=400,
        message="bad thing in your request",
        match={"model": "llama-3.1-8b-instant"},
    )
    r = _chat(stack, token)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_request"
    assert "bad thing in your request" in r.json()["error"]["message"]
    assert stack.mock.state.total == before + 1


def test_all_candidates_failing_is_502_listing_attempts(
    stack: Stack, token: str, mock_admin: str
) -> None:
    _fault(mock_admin, status=502)
    r = _chat(stack, token)
    assert r.status_code == 502
    body = r.json()
    assert body["error"]["code"] == "all_providers_failed"
    attempts = body["spidergate_error"]["attempts"]
    # Every key of each provider is tried (acme has its own cerebras key too), in chain order.
    providers = [a["provider"] for a in attempts]
    assert list(dict.fromkeys(providers)) == ["groq", "cerebras", "sambanova", "mistral"]
    assert all(a["status"] == 502 and a["outcome"] == "error" for a in attempts)
    assert "demo-key" not in r.text  # masked previews only


def test_no_qualifying_model_gives_a_verdict_per_candidate(stack: Stack, token: str) -> None:
    r = _chat(
        stack,
        token,
        spidergate_options={"excluded_providers": ["groq", "cerebras"]},
        max_tokens=10**6,
    )
    assert r.status_code == 422
    body = r.json()
    assert body["error"]["code"] == "no_qualifying_model"
    verdicts = {c["provider"]: c["verdict"] for c in body["spidergate_error"]["candidates"]}
    assert "excluded" in verdicts["groq"] and "excluded" in verdicts["cerebras"]
    assert verdicts["mistral"] == "exceeds_tier_ceiling"


def test_tools_skip_candidates_without_function_calling(stack: Stack, token: str) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    r = _chat(stack, token, "?include_route_trace=true", model="spideriq/tool-use", tools=tools)
    assert r.status_code == 200
    assert r.json()["choices"][0]["finish_reason"] == "tool_calls"

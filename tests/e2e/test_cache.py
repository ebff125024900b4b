"""The exact-match response cache over the real stack: hits are marked and free, never
cross brands, and replay as a stream; misses reach the provider."""

from __future__ import annotations

import json

import httpx

from tests.stack import Stack

OPTIONS = {"cache_enabled": True, "cache_ttl_seconds": 120}


def chat(stack: Stack, token: str, **body: object) -> httpx.Response:
    payload = {
        "model": "spideriq/fast",
        "messages": [{"role": "user", "content": "cache me if you can"}],
        "spidergate_options": OPTIONS,
        **body,
    }
    return httpx.post(
        stack.base_url + "/chat/completions",
        json=payload,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_second_identical_request_is_a_free_hit(stack: Stack, token: str) -> None:
    first = chat(stack, token, temperature=0.3)
    calls = stack.mock.state.total
    second = chat(stack, token, temperature=0.3)
    assert stack.mock.state.total == calls  # served without the provider
    a, b = first.json(), second.json()
    assert a["spidergate_metadata"]["cache_hit"] is False
    assert b["spidergate_metadata"]["cache_hit"] is True
    assert b["spidergate_metadata"]["cost_usd"] == 0
    assert b["choices"] == a["choices"] and b["model"] == a["model"]
    assert b["id"] != a["id"]
    # A different request is a miss.
    chat(stack, token, temperature=0.4)
    assert stack.mock.state.total == calls + 1


def test_without_the_option_nothing_is_cached(stack: Stack, token: str) -> None:
    body = {"spidergate_options": {}, "messages": [{"role": "user", "content": "no cache"}]}
    chat(stack, token, **body)
    calls = stack.mock.state.total
    r = chat(stack, token, **body)
    assert stack.mock.state.total == calls + 1
    assert r.json()["spidergate_metadata"]["cache_hit"] is False


def test_one_brand_never_gets_another_brands_answer(stack: Stack, token: str) -> None:
    chat(stack, token, seed=7)
    other, _ = stack.core.identity.create_brand("cache-other")
    _, other_token = stack.core.identity.mint_token(other.client_id, "a", None)
    calls = stack.mock.state.total
    r = chat(stack, str(other_token), seed=7)
    assert r.json()["spidergate_metadata"]["cache_hit"] is False
    assert stack.mock.state.total == calls + 1


def test_a_hit_replays_as_a_stream(stack: Stack, token: str) -> None:
    whole = chat(stack, token, seed=11).json()
    calls = stack.mock.state.total
    r = chat(stack, token, seed=11, stream=True, stream_options={"include_usage": True})
    assert stack.mock.state.total == calls
    events = [line[6:] for line in r.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == whole["choices"][0]["message"]["content"]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == whole["usage"]


def test_ttl_out_of_range_is_400(stack: Stack, token: str) -> None:
    r = chat(stack, token, spidergate_options={"cache_enabled": True, "cache_ttl_seconds": 5})
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "spidergate_options.cache_ttl_seconds"

"""The same governance on ``/v1/messages`` as on chat: a token's request limit holds
exactly under a concurrent burst, the refusals are 429 in Anthropic's shape (a typed
``RateLimitError`` for the SDK) with the token's ``X-RateLimit-*``, and the ledger records
each request, streamed or not, with its kind, ``message``. Counting tokens is not a
request: it is neither limited nor recorded."""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types import MessageParam

from gate_service.auth.principal import TokenControls
from tests.e2e.messages_support import make_client, root
from tests.stack import Stack

BRAND = "messages-governance"
MODEL = "spideriq/fast"
QUESTION: list[MessageParam] = [{"role": "user", "content": "hi"}]
BODY = {"model": MODEL, "max_tokens": 20, "messages": QUESTION}


def _mint(stack: Stack, name: str, **controls: Any) -> str:
    identity = stack.core.identity
    brand = identity.brand_by_name(BRAND) or identity.create_brand(BRAND)[0]
    _, token = identity.mint_token(brand.client_id, name, None, TokenControls(**controls))
    return str(token)


async def _burst(stack: Stack, token: str, n: int) -> list[httpx.Response]:
    headers = {"x-api-key": token, "anthropic-version": "2023-06-01"}
    async with httpx.AsyncClient(base_url=root(stack), timeout=60) as client:
        return await asyncio.gather(
            *(client.post("/v1/messages", json=BODY, headers=headers) for _ in range(n))
        )


def test_a_60_per_minute_token_gets_exactly_60_of_120(stack: Stack) -> None:
    token = _mint(stack, "messages-rpm-60", rpm=60)
    responses = asyncio.run(_burst(stack, token, 120))
    served = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert len(served) == 60 and {r.status_code for r in refused} == {429}
    for r in served:
        assert r.json()["type"] == "message" and r.json()["content"]
    for r in refused:
        assert r.json()["type"] == "error"
        assert r.json()["error"]["type"] == "rate_limit_error"
        assert r.json()["error"]["code"] == "rate_limit_exceeded"
        assert r.headers["X-RateLimit-Limit-Requests"] == "60"
        assert r.headers["X-RateLimit-Remaining-Requests"] == "0"
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        assert r.headers["X-Request-Id"]
    remaining = sorted(int(r.headers["X-RateLimit-Remaining-Requests"]) for r in served)
    assert remaining == list(range(60))

    # The SDK sees the next refusal as its typed exception.
    sdk = make_client(stack, token, "gate-x-api-key")
    with pytest.raises(anthropic.RateLimitError) as limited:
        sdk.messages.create(model=MODEL, max_tokens=20, messages=QUESTION)
    assert limited.value.status_code == 429
    body = limited.value.body
    assert isinstance(body, dict) and body["error"]["type"] == "rate_limit_error"

    # The ledger: every request of the burst under the kind "message", none as chat.
    assert stack.run(stack.core.ledger.flush())
    headers = {"Authorization": f"Bearer {token}"}
    by_kind = {}
    for kind in ("message", "chat"):
        r = httpx.get(stack.base_url + f"/traces?kind={kind}&limit=200", headers=headers)
        assert r.status_code == 200, r.text
        by_kind[kind] = r.json()["data"]
    assert by_kind["chat"] == []
    traces = by_kind["message"]
    assert {t["kind"] for t in traces} == {"message"}
    statuses = sorted(t["status"] for t in traces)
    assert statuses.count(200) == 60 and statuses.count(429) == 61


def test_a_stream_is_recorded_as_a_message_and_counting_is_free(stack: Stack) -> None:
    token = _mint(stack, "messages-rpm-2", rpm=2)
    sdk = make_client(stack, token, "root-bearer")
    for _ in range(5):  # over the limit, had counting been a request
        assert sdk.messages.count_tokens(model=MODEL, messages=QUESTION).input_tokens > 0
    assert sdk.messages.create(model=MODEL, max_tokens=20, messages=QUESTION).content
    with sdk.messages.stream(model=MODEL, max_tokens=20, messages=QUESTION) as stream:
        assert stream.get_final_message().content
    with pytest.raises(anthropic.RateLimitError):
        sdk.messages.create(model=MODEL, max_tokens=20, messages=QUESTION)

    assert stack.run(stack.core.ledger.flush())
    headers = {"Authorization": f"Bearer {token}"}
    r = httpx.get(stack.base_url + "/traces?limit=50", headers=headers)
    assert r.status_code == 200, r.text
    traces = r.json()["data"]
    assert sorted((t["kind"], t["status"], t["streamed"]) for t in traces) == [
        ("message", 200, False),
        ("message", 200, True),
        ("message", 429, False),
    ]

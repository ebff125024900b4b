"""The same governance on ``/v1/messages`` as on chat: a token's request limit holds
exactly under a concurrent burst, the refusals are 429 in Anthropic's shape (a typed
``RateLimitError`` for the SDK) with the token's ``X-RateLimit-*``, and the ledger records
each request with its kind, ``message``."""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
import httpx
import pytest

from gate_service.auth.principal import TokenControls
from tests.stack import Stack

BRAND = "messages-governance"
MODEL = "groq/llama-3.1-8b-instant"
BODY = {"model": MODEL, "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}


def _mint(stack: Stack, name: str, **controls: Any) -> str:
    identity = stack.core.identity
    brand = identity.brand_by_name(BRAND) or identity.create_brand(BRAND)[0]
    _, token = identity.mint_token(brand.client_id, name, None, TokenControls(**controls))
    return str(token)


async def _burst(stack: Stack, token: str, n: int) -> list[httpx.Response]:
    headers = {"x-api-key": token, "anthropic-version": "2023-06-01"}
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as client:
        return await asyncio.gather(
            *(client.post("/messages", json=BODY, headers=headers) for _ in range(n))
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
    sdk = anthropic.Anthropic(
        base_url=stack.base_url.removesuffix("/v1"), api_key=token, max_retries=0
    )
    with pytest.raises(anthropic.RateLimitError) as limited:
        sdk.messages.create(**BODY)  # type: ignore[call-overload]
    assert limited.value.status_code == 429

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

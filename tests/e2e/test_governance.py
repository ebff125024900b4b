"""Per-token controls through the whole gateway (one process, in-memory counters): 429s
with their headers, 402s before any provider call, soft-budget warnings, brand budgets,
and control changes reaching the request path."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import httpx

from gate_service.auth.principal import TokenControls
from gate_service.catalog.loader import load_bundled
from gate_service.catalog.snapshot import Catalog
from gate_service.routing.plan import estimate_prompt_tokens, worst_cost
from gate_service.routing.resolve import resolve
from tests.domain.build import chat_request
from tests.stack import Stack

CHEAP = "llama-3.1-8b-instant"
DEAR = "gpt-4o"
MESSAGES = [{"role": "user", "content": "hi"}]
BRAND = "governance-agents"


def worst_case_usd(model: str, max_tokens: int) -> float:
    """What the gateway reserves for a request: the prompt estimate plus ``max_tokens``
    at the dearest candidate serving ``model``, from the bundled catalog's prices."""
    request: dict[str, Any] = {"model": model, "messages": MESSAGES, "max_tokens": max_tokens}
    prompt = estimate_prompt_tokens(chat_request(request))
    chain = resolve(Catalog(load_bundled()), model)
    return max(worst_cost(item.model, prompt, max_tokens) for item in chain if item.model)


def _mint(stack: Stack, name: str, **controls: Any) -> str:
    # A brand of this module's own: the session's "acme" belongs to the `brand` fixture.
    identity = stack.core.identity
    brand = identity.brand_by_name(BRAND) or identity.create_brand(BRAND)[0]
    _, token = stack.core.identity.mint_token(
        brand.client_id, name, None, TokenControls(**controls)
    )
    return str(token)


async def _fire(stack: Stack, token: str, n: int, **body: Any) -> list[httpx.Response]:
    payload = {"model": CHEAP, "messages": MESSAGES, **body}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as client:
        return await asyncio.gather(
            *(client.post("/chat/completions", json=payload, headers=headers) for _ in range(n))
        )


def _codes(responses: list[httpx.Response]) -> list[int]:
    return sorted(r.status_code for r in responses)


def test_rate_limit_exactly_with_headers(stack: Stack) -> None:
    token = _mint(stack, "rpm-5", rpm=5)
    responses = asyncio.run(_fire(stack, token, 12))
    assert _codes(responses) == [200] * 5 + [429] * 7
    for r in responses:
        assert r.headers["X-RateLimit-Limit-Requests"] == "5"
        assert 1 <= int(r.headers["X-RateLimit-Reset"]) <= 60
        if r.status_code == 429:
            assert r.json()["error"]["code"] == "rate_limit_exceeded"
            assert r.json()["error"]["type"] == "rate_limit_error"
            assert r.json()["error"]["message"].startswith(
                "Rate limit exceeded: 6/5 requests per minute"
            )
            assert r.headers["X-RateLimit-Remaining-Requests"] == "0"
            assert 1 <= int(r.headers["Retry-After"]) <= 60
    remaining = sorted(
        int(r.headers["X-RateLimit-Remaining-Requests"]) for r in responses if r.status_code == 200
    )
    assert remaining == [0, 1, 2, 3, 4]


def test_daily_limit(stack: Stack) -> None:
    token = _mint(stack, "rpd-2", rpd=2)
    responses = asyncio.run(_fire(stack, token, 3))
    assert _codes(responses) == [200, 200, 429]
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.json()["error"]["code"] == "daily_rate_limit_exceeded"


def test_hard_budget_refuses_before_any_provider_call(stack: Stack) -> None:
    worst = worst_case_usd(DEAR, 100)
    cap = 0.01
    token = _mint(stack, "budget-hard", budget_usd=cap)
    # The provider holds every answer for a second, so all 30 are in flight together and
    # none settles (to its much smaller real cost) before the others are admitted.
    fault = {"kind": "delay", "delay_ms": 1000, "match": {"model": DEAR}}
    httpx.post(stack.mock.url + "/__mock/faults", json=fault).raise_for_status()
    before = stack.mock.state.total
    try:
        responses = asyncio.run(_fire(stack, token, 30, model=DEAR, max_tokens=100))
    finally:
        httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    served = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert len(served) == math.floor(cap / worst)  # exactly what fits in the cap
    assert {r.status_code for r in refused} == {402}
    assert {r.json()["error"]["code"] for r in refused} == {"budget_exceeded"}
    assert "hard monthly budget is $0.01" in refused[0].json()["error"]["message"]
    spent = sum(r.json()["spidergate_metadata"]["cost_usd"] for r in served)
    assert 0 < spent <= cap
    assert stack.mock.state.total - before == len(served)  # no provider call for a 402


def test_a_refused_stream_is_a_plain_json_error(stack: Stack) -> None:
    token = _mint(stack, "budget-zero", budget_usd=0.0)
    [r] = asyncio.run(_fire(stack, token, 1, model=DEAR, max_tokens=10, stream=True))
    assert r.status_code == 402
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"]["code"] == "budget_exceeded"


def test_streams_are_settled_to_their_cost(stack: Stack) -> None:
    worst = worst_case_usd(DEAR, 50)
    token = _mint(stack, "budget-stream", budget_usd=worst * 2.5)
    for _ in range(2):
        [r] = asyncio.run(_fire(stack, token, 1, model=DEAR, max_tokens=50, stream=True))
        assert r.status_code == 200 and r.text.rstrip().endswith("data: [DONE]")
    # Two streams settled to their (smaller) real cost leave room for a third.
    [r] = asyncio.run(_fire(stack, token, 1, model=DEAR, max_tokens=50))
    assert r.status_code == 200, r.text


def test_soft_budget_warns(stack: Stack) -> None:
    token = _mint(stack, "budget-soft", budget_usd=0.0, budget_mode="soft")
    [r] = asyncio.run(_fire(stack, token, 1, model=DEAR, max_tokens=10))
    assert r.status_code == 200
    assert r.headers["X-SpiderGate-Budget-Warning"].startswith("token soft budget exceeded")


def test_brand_budget_applies_to_client_credentials(stack: Stack) -> None:
    brand, credential = stack.core.identity.create_brand("budgeted")
    stack.core.identity.set_brand_budget(brand.client_id, budget_usd=0.0)
    [r] = asyncio.run(_fire(stack, credential, 1, model=DEAR, max_tokens=10))
    assert r.status_code == 402
    assert "the brand's hard monthly budget is $0.00" in r.json()["error"]["message"]
    assert "X-RateLimit-Limit-Requests" not in r.headers  # no request limits on brands


def test_a_control_change_reaches_the_request_path(stack: Stack) -> None:
    token = _mint(stack, "changed", rpm=1)
    assert _codes(asyncio.run(_fire(stack, token, 2))) == [200, 429]
    brand = stack.core.identity.brand_by_name(BRAND)
    assert brand is not None
    token_id = stack.core.identity.authenticate(token).token_id
    assert token_id is not None
    stack.core.identity.update_token(brand.client_id, token_id, rpm=None)
    # Other processes see it when their auth cache expires (5 s); here, expire it now.
    stack.core.authenticator.clear()
    assert _codes(asyncio.run(_fire(stack, token, 3))) == [200, 200, 200]

"""Per-token controls hold for embeddings exactly as for chat: the rate limit with its
headers, and a hard budget that concurrent requests never overspend (the reservation is
the batch's generous token bound at the dearest candidate's price)."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import httpx

from gate_service.auth.principal import TokenControls
from gate_service.catalog.loader import load_bundled
from gate_service.catalog.snapshot import Catalog
from gate_service.domain.embeddings import EmbeddingRequest
from gate_service.embeddings.needs import bound_prompt_tokens
from gate_service.routing.plan import worst_cost
from gate_service.routing.resolve import resolve
from tests.stack import Stack

LARGE = "text-embedding-3-large"
# Non-ASCII text is bounded at a token a character: a large reservation from a small body.
INPUTS = ["語" * 5000] * 4
BRAND = "governance-embeddings"


def _mint(stack: Stack, name: str, **controls: Any) -> str:
    identity = stack.core.identity
    brand = identity.brand_by_name(BRAND) or identity.create_brand(BRAND)[0]
    _, token = identity.mint_token(brand.client_id, name, None, TokenControls(**controls))
    return str(token)


async def _fire(stack: Stack, token: str, n: int, **body: Any) -> list[httpx.Response]:
    payload = {"model": LARGE, "input": ["hello"], **body}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as client:
        return await asyncio.gather(
            *(client.post("/embeddings", json=payload, headers=headers) for _ in range(n))
        )


def test_rate_limit_counts_embeddings_with_headers(stack: Stack) -> None:
    token = _mint(stack, "emb-rpm-3", rpm=3)
    responses = asyncio.run(_fire(stack, token, 5))
    assert sorted(r.status_code for r in responses) == [200] * 3 + [429] * 2
    for r in responses:
        assert r.headers["X-RateLimit-Limit-Requests"] == "3"
        assert r.headers["X-Request-Id"]
    refused = [r for r in responses if r.status_code == 429]
    assert {r.json()["error"]["code"] for r in refused} == {"rate_limit_exceeded"}


def test_hard_budget_holds_for_concurrent_embeddings(stack: Stack) -> None:
    prompt = bound_prompt_tokens(EmbeddingRequest(LARGE, texts=INPUTS))
    chain = resolve(Catalog(load_bundled()), LARGE)
    worst = max(worst_cost(item.model, prompt, 0) for item in chain if item.model)
    cap = 0.01
    token = _mint(stack, "emb-budget-hard", budget_usd=cap)
    # Every answer is held a second, so all are in flight together and none settles (to
    # its smaller real cost) before the others are admitted.
    fault = {"kind": "delay", "delay_ms": 1000, "match": {"model": LARGE}}
    httpx.post(stack.mock.url + "/__mock/faults", json=fault).raise_for_status()
    before = stack.mock.state.total
    try:
        responses = asyncio.run(_fire(stack, token, 12, input=INPUTS))
    finally:
        httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    served = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert len(served) == math.floor(cap / worst) > 0  # exactly what fits in the cap
    assert {r.status_code for r in refused} == {402}
    assert {r.json()["error"]["code"] for r in refused} == {"budget_exceeded"}
    spent = sum(r.json()["spidergate_metadata"]["cost_usd"] for r in served)
    assert 0 < spent <= cap
    assert stack.mock.state.total - before == len(served)  # no provider call for a 402

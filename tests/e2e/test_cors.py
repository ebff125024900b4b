"""CORS over sockets, as a browser does it: a preflight from another origin, then the
actual request carrying ``Origin``, on chat (unary and stream), on errors (401, 413) and
with a configured list of origins (a second bridge on the test stack's core)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from gate_service.auth.principal import TokenControls
from gate_service.cli.serve import _bridge
from tests.stack import Stack, free_port

ORIGIN = "https://chat.example"
# What the openai and anthropic SDKs send from a browser (x-stainless-* varies by release).
ASKED = "authorization, content-type, x-stainless-os, x-stainless-retry-count, anthropic-version"
CHAT = {"model": "spideriq/fast", "messages": [{"role": "user", "content": "hi"}]}
_names = itertools.count()


def _preflight(base: str, path: str, origin: str = ORIGIN) -> httpx.Response:
    return httpx.options(
        base + path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": ASKED,
        },
        timeout=30,
    )


def _limited_token(stack: Stack, brand: tuple[str, str], rpm: int) -> str:
    _, token = stack.core.identity.mint_token(
        brand[0], f"cors-{next(_names)}", None, TokenControls(rpm=rpm)
    )
    return str(token)


@pytest.mark.parametrize(
    "path",
    [
        "/chat/completions",
        "/models",
        "/models/spideriq/fast",
        "/embeddings",
        "/completions",
        "/responses",
        "/messages",
        "/no/such/route",
    ],
)
def test_a_preflight_from_another_origin_is_answered_on_every_route(
    stack: Stack, path: str
) -> None:
    r = _preflight(stack.base_url, path)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-headers"] == ASKED  # reflected
    assert "POST" in r.headers["access-control-allow-methods"].split(", ")
    assert int(r.headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in r.headers  # bearer tokens, no cookies


def test_preflights_need_no_token_and_count_against_no_limit(
    stack: Stack, brand: tuple[str, str]
) -> None:
    token = _limited_token(stack, brand, rpm=2)
    for _ in range(5):
        assert _preflight(stack.base_url, "/chat/completions").status_code == 200
    headers = {"Authorization": f"Bearer {token}", "Origin": ORIGIN}
    first = httpx.post(stack.base_url + "/chat/completions", json=CHAT, headers=headers, timeout=30)
    assert first.status_code == 200
    assert first.headers["x-ratelimit-remaining-requests"] == "1"
    assert first.headers["access-control-allow-origin"] == "*"


def test_the_actual_request_carries_the_headers_unary_and_streamed(
    stack: Stack, token: str
) -> None:
    headers = {"Authorization": f"Bearer {token}", "Origin": ORIGIN}
    r = httpx.post(stack.base_url + "/chat/completions", json=CHAT, headers=headers, timeout=30)
    assert r.status_code == 200 and r.json()["choices"]
    assert r.headers["access-control-allow-origin"] == "*"
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {"x-request-id", "x-ratelimit-remaining-requests", "retry-after"} <= exposed
    assert "x-spidergate-fallback-from" in exposed

    body = {**CHAT, "stream": True}
    url = stack.base_url + "/chat/completions"
    with httpx.stream("POST", url, json=body, headers=headers, timeout=30) as s:
        assert s.status_code == 200
        assert s.headers["content-type"].startswith("text/event-stream")
        assert s.headers["access-control-allow-origin"] == "*"
        lines = [line for line in s.iter_lines() if line]
    assert lines[-1] == "data: [DONE]" and len(lines) > 2


def test_errors_carry_the_headers(stack: Stack) -> None:
    headers = {"Origin": ORIGIN, "Authorization": "Bearer sk-gate-not-a-real-token"}
    r = httpx.post(stack.base_url + "/chat/completions", json=CHAT, headers=headers, timeout=30)
    assert r.status_code == 401
    assert r.json()["error"]["code"] in ("invalid_api_key", "invalid_token_format")
    assert r.headers["access-control-allow-origin"] == "*"
    missing = httpx.get(stack.base_url + "/models/no/such-model", headers={"Origin": ORIGIN})
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == "*"


def test_no_origin_no_cors_headers(stack: Stack, token: str) -> None:
    r = httpx.get(stack.base_url + "/models?limit=1", timeout=30)
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


@pytest.fixture(scope="module")
def listed(stack: Stack) -> Iterator[str]:
    """A second bridge on the stack's core allowing one origin, with a 1 KB body bound."""
    settings = replace(
        stack.settings, port=free_port(), cors_origins=(ORIGIN,), max_body_bytes=1024
    )
    bridge = _bridge(stack.grpc_target, settings)

    async def start() -> asyncio.Task[None]:
        task = asyncio.create_task(bridge.serve())
        while not bridge.started:
            if task.done():
                await task
            await asyncio.sleep(0.01)
        return task

    task = stack.run(start())
    yield f"http://127.0.0.1:{settings.port}/v1"
    bridge.should_exit = True

    async def stop() -> None:
        await task

    stack.run(stop())


def test_a_configured_list_allows_its_origins_only(listed: str, token: str) -> None:
    ok = _preflight(listed, "/chat/completions")
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == ORIGIN
    refused = _preflight(listed, "/chat/completions", origin="https://evil.example")
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers

    auth = {"Authorization": f"Bearer {token}"}
    r = httpx.post(listed + "/chat/completions", json=CHAT, headers={**auth, "Origin": ORIGIN})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert "Origin" in r.headers["vary"]
    other = {**auth, "Origin": "https://evil.example"}
    r = httpx.post(listed + "/chat/completions", json=CHAT, headers=other, timeout=30)
    assert r.status_code == 200  # the server answers; the browser withholds it
    assert "access-control-allow-origin" not in r.headers


def test_the_body_bounds_413_carries_the_headers(listed: str, token: str) -> None:
    big = {**CHAT, "messages": [{"role": "user", "content": "x" * 4096}]}
    headers = {"Authorization": f"Bearer {token}", "Origin": ORIGIN}
    r = httpx.post(listed + "/chat/completions", json=big, headers=headers, timeout=30)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "request_too_large"
    assert r.headers["access-control-allow-origin"] == ORIGIN

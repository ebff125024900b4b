"""The bridge's registered exception handlers (bridge/errors.py) against the real core
(in process), with each call the bridge makes to it noted: a body or query string the
bridge cannot type is the core's to refuse, in the route's own call (exactly one call:
its 401 for a bad or missing token, else its 400 with the token's ``X-RateLimit-*``); an
error that is the core's answer never costs another call; and every answer carries the
id the core was sent."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import grpc
import httpx
import pytest

from bridge import openapi
from bridge.app import create_app, module_routes
from gate_service.auth.principal import TokenControls
from gate_service.servicers.inprocess import LocalCoreClient
from tests.stack import Stack

CHAT = "/v1/chat/completions"
HI = {"model": "llama-3.1-8b-instant", "messages": [{"role": "user", "content": "hi"}]}
Call = tuple[str, str | None]  # ("service.Method", the x-request-id it was sent)


class _Noted:
    """The in-process client to the real core, noting every call; ``stand_ins`` replace
    chosen methods ("service.Method") to reach the answers a healthy core never gives."""

    def __init__(self, inner: LocalCoreClient, stand_ins: dict[str, Callable[..., Any]]) -> None:
        self.inner = inner
        self.stand_ins = stand_ins
        self.calls: list[Call] = []

    def __getattr__(self, service: str) -> Any:
        return _NotedService(self, service)

    async def close(self) -> None:
        await self.inner.close()


class _NotedService:
    def __init__(self, noted: _Noted, service: str) -> None:
        self._noted = noted
        self._service = service

    def __getattr__(self, method: str) -> Callable[..., Any]:
        name = f"{self._service}.{method}"
        target = self._noted.stand_ins.get(name) or getattr(
            getattr(self._noted.inner, self._service), method
        )

        def call(message: Any, *, metadata: Any = (), timeout: float | None = None) -> Any:
            self._noted.calls.append((name, dict(metadata).get("x-request-id")))
            return target(message, metadata=metadata, timeout=timeout)

        return call


class _EmptyStream:
    """A stream call that ends before its first chunk."""

    async def read(self) -> Any:
        return grpc.aio.EOF

    def cancel(self) -> bool:
        return True


async def _unavailable(*args: Any, **kwargs: Any) -> Any:
    raise grpc.aio.AioRpcError(
        grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), "down"
    )


def _send(
    stack: Stack,
    method: str,
    path: str,
    *,
    stand_ins: dict[str, Callable[..., Any]] | None = None,
    **kwargs: Any,
) -> tuple[httpx.Response, list[Call]]:
    """One request to a bridge over the stack's core: (the answer, the calls made)."""
    noted = _Noted(LocalCoreClient(stack.core), stand_ins or {})

    async def go() -> httpx.Response:
        app = create_app(client_factory=lambda: noted)
        app.state.core = noted  # ASGITransport runs no lifespan
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
            return await c.request(method, path, **kwargs)

    return stack.run(go()), noted.calls


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _limited(stack: Stack, brand: tuple[str, str]) -> str:
    """A fresh agent token with request limits, so its answers carry ``X-RateLimit-*``."""
    name = f"agent-limited-{uuid.uuid4().hex[:8]}"
    _, token = stack.core.identity.mint_token(brand[0], name, None, TokenControls(rpm=9))
    return str(token)


def test_a_query_error_with_a_token_is_the_routes_one_call(
    stack: Stack, brand: tuple[str, str]
) -> None:
    # Before: Authenticate, then the bridge's own 400. Now: the route's own RPC only.
    r, calls = _send(stack, "GET", "/v1/usage?bucket=week", headers=_bearer(_limited(stack, brand)))
    assert (r.status_code, r.json()["error"]["code"]) == (400, "invalid_request")
    assert r.json()["error"]["param"] == "bucket"
    assert r.headers["x-ratelimit-limit-requests"] == "9"
    # The id the core was sent is the one answered (none was given: the bridge chose it).
    assert calls == [("usage.GetUsage", r.headers["x-request-id"])]


def test_a_query_error_with_a_bad_token_is_the_routes_401(stack: Stack) -> None:
    r, calls = _send(stack, "GET", "/v1/usage?bucket=week", headers=_bearer("spideriq_pat_x"))
    assert r.status_code == 401
    assert calls == [("usage.GetUsage", r.headers["x-request-id"])]


def test_a_query_error_without_a_token_is_the_routes_401(stack: Stack) -> None:
    r, calls = _send(stack, "GET", "/v1/usage?bucket=week")
    assert (r.status_code, r.json()["error"]["code"]) == (401, "missing_api_key")
    assert r.headers["www-authenticate"] == "Bearer"
    # Before: no call (the bridge answered the 401). Now: the core answers it.
    assert calls == [("usage.GetUsage", r.headers["x-request-id"])]


def test_a_chat_body_error_with_a_token_is_the_cores_one_call(stack: Stack, token: str) -> None:
    # A body the bridge cannot type goes to the core as is (extra_json): the core refuses
    # it after the credential, in the chat call itself, with no Authenticate first.
    r, calls = _send(stack, "POST", CHAT, content=b"not json", headers=_bearer(token))
    assert (r.status_code, r.json()["error"]["code"]) == (400, "invalid_request")
    # The id the core was sent is the one answered (none was given: the bridge chose it).
    assert calls == [("chat.CreateChatCompletion", r.headers["x-request-id"])]


def test_a_chat_body_error_without_a_token_is_the_cores_401(stack: Stack) -> None:
    r, calls = _send(stack, "POST", CHAT, content=b"not json")
    assert (r.status_code, r.json()["error"]["code"]) == (401, "missing_api_key")
    assert r.headers["www-authenticate"] == "Bearer"
    assert calls == [("chat.CreateChatCompletion", r.headers["x-request-id"])]


def test_a_query_error_on_a_public_route_without_a_token_is_the_400(stack: Stack) -> None:
    r, calls = _send(stack, "GET", "/v1/models?limit=-1", headers={"X-Request-Id": "req-q"})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "invalid_request")
    assert r.headers["x-request-id"] == "req-q"
    # Before: no call (the bridge answered). Now: the route's own call answers it.
    assert calls == [("catalog.ListModels", "req-q")]


def test_a_query_error_on_a_public_route_with_a_bad_token_is_the_401(stack: Stack) -> None:
    r, calls = _send(stack, "GET", "/v1/models?limit=-1", headers=_bearer("spideriq_pat_x"))
    assert r.status_code == 401
    assert calls == [("catalog.ListModels", r.headers["x-request-id"])]


def test_a_refusal_of_the_core_is_answered_as_is(stack: Stack, token: str) -> None:
    for stream in (False, True):
        body = {**HI, "model": "no-such-model", "stream": stream}
        r, calls = _send(stack, "POST", CHAT, json=body, headers=_bearer(token))
        assert (r.status_code, r.json()["error"]["code"]) == (404, "model_not_found")
        method = "stream.StreamChatCompletion" if stream else "chat.CreateChatCompletion"
        assert calls == [(method, r.headers["x-request-id"])]


def test_a_stream_ended_before_its_first_chunk_is_a_502_asking_nothing_more(
    stack: Stack, token: str
) -> None:
    r, calls = _send(
        stack,
        "POST",
        CHAT,
        json={**HI, "stream": True},
        headers=_bearer(token),
        stand_ins={"stream.StreamChatCompletion": lambda *a, **kw: _EmptyStream()},
    )
    assert (r.status_code, r.json()["error"]["code"]) == (502, "upstream_error")
    assert r.headers["content-type"] == "application/json"
    assert calls == [("stream.StreamChatCompletion", r.headers["x-request-id"])]


def test_health_of_a_core_not_serving_is_a_503_asking_nothing_more(
    stack: Stack, token: str
) -> None:
    r, calls = _send(
        stack,
        "GET",
        "/v1/health",
        headers=_bearer(token),
        stand_ins={"catalog.GetHealth": _unavailable},
    )
    assert (r.status_code, r.json()["error"]["code"]) == (503, "service_unavailable")
    assert [name for name, _ in calls] == ["catalog.GetHealth"]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_vault_body_error_is_the_vaults_one_call(
    stack: Stack, brand: tuple[str, str], method: str
) -> None:
    # Before: a GetKey probe, then the bridge's own 400. Now: the route's own call only.
    path = "/v1/vault/keys" + ("/vk_nope" if method == "PATCH" else "")
    r, calls = _send(stack, method, path, content=b"[", headers=_bearer(brand[1]))
    assert (r.status_code, r.json()["error"]["code"]) == (400, "invalid_request")
    rpc = "vault.CreateKey" if method == "POST" else "vault.UpdateKey"
    assert calls == [(rpc, r.headers["x-request-id"])]


# Every route that types a query string or a body, with input it cannot type, and the
# one call that answers it.
BAD_INPUT = [
    ("GET", "/v1/usage?from=yesterday", {}, "usage.GetUsage", "from"),
    ("GET", "/v1/traces?limit=0", {}, "usage.ListTraces", "limit"),
    ("GET", "/v1/models?sort_by=mood", {}, "catalog.ListModels", "sort_by"),
    ("GET", "/v1/vault/keys?active=maybe", {}, "vault.ListKeys", "active"),
    ("GET", "/v1/vault/health?include_pool=2", {}, "vault.GetHealthSummary", "include_pool"),
    ("POST", "/v1/vault/keys", {"json": {"provider": 7}}, "vault.CreateKey", "provider"),
    ("PATCH", "/v1/vault/keys/vk_x", {"json": {"nope": 1}}, "vault.UpdateKey", "nope"),
    ("POST", CHAT, {"json": {**HI, "n": "two"}}, "chat.CreateChatCompletion", "n"),
]


@pytest.mark.parametrize(("method", "path", "body", "rpc", "param"), BAD_INPUT)
def test_every_input_route_answers_bad_input_in_its_own_call(
    stack: Stack,
    brand: tuple[str, str],
    token: str,
    method: str,
    path: str,
    body: dict[str, Any],
    rpc: str,
    param: str,
) -> None:
    # The vault's callers are brand credentials (it refuses agent tokens first).
    caller = brand[1] if "/vault/" in path else token
    r, calls = _send(stack, method, path, headers=_bearer(caller), **body)
    assert (r.status_code, r.json()["error"]["code"]) == (400, "invalid_request"), r.text
    assert r.json()["error"]["param"] == param
    assert calls == [(rpc, r.headers["x-request-id"])]
    # Without a token: the 401 first, but on the public catalog (no token needed).
    r, calls = _send(stack, method, path, **body)
    public = rpc.startswith("catalog.")
    expected = (400, "invalid_request") if public else (401, "missing_api_key")
    assert (r.status_code, r.json()["error"]["code"]) == expected
    assert calls == [(rpc, r.headers["x-request-id"])]


def test_no_api_route_keeps_a_refusal_of_its_own() -> None:
    # The refusal machinery (bridge/precheck.py) is gone: every route is a plain route,
    # its bridge-found errors answered as is by the app's handlers.
    for route in module_routes():
        if route in openapi.ROUTES:
            continue  # the document: nothing to refuse
        assert not hasattr(route, "refusal"), route

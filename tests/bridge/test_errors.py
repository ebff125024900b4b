"""The bridge's registered exception handlers (bridge/errors.py) against the real core
(in process), with each call the bridge makes to it noted: an error the bridge finds is
answered in the core's order (one ``Authenticate`` when a token is sent, none without),
an error that is the core's answer never costs another call (a chat body the bridge
cannot type is the core's to refuse, in the chat call), and every answer carries the id
the core was sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import httpx
import pytest

from bridge import openapi
from bridge.app import create_app, module_routes
from bridge.routing import GateRoute
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


def test_a_query_error_with_a_token_asks_authenticate_once(stack: Stack, token: str) -> None:
    r, calls = _send(stack, "GET", "/v1/usage?bucket=week", headers=_bearer(token))
    assert (r.status_code, r.json()["error"]["code"]) == (400, "invalid_request")
    # The id the core was sent is the one answered (none was given: the bridge chose it).
    assert calls == [("auth.Authenticate", r.headers["x-request-id"])]


def test_a_query_error_without_a_token_is_a_401_asking_nothing(stack: Stack) -> None:
    r, calls = _send(stack, "GET", "/v1/usage?bucket=week")
    assert (r.status_code, r.json()["error"]["code"]) == (401, "missing_api_key")
    assert r.headers["www-authenticate"] == "Bearer"
    assert calls == []


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
    assert calls == []


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
def test_a_vault_body_error_asks_the_vault_not_authenticate(
    stack: Stack, brand: tuple[str, str], method: str
) -> None:
    path = "/v1/vault/keys" + ("/vk_nope" if method == "PATCH" else "")
    r, calls = _send(stack, method, path, content=b"[", headers=_bearer(brand[1]))
    assert (r.status_code, r.json()["error"]["code"]) == (400, "invalid_request")
    assert calls == [("vault.GetKey", r.headers["x-request-id"])]


def test_every_api_route_says_how_its_errors_are_refused() -> None:
    for route in module_routes():
        if route in openapi.ROUTES:
            continue  # the document: nothing to refuse
        assert isinstance(route, GateRoute), route

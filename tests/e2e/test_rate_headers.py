"""``X-RateLimit-*`` on every authenticated response (api.md), not only on chat.

A token with request limits sees its limits as they stand on every route it calls with
that token: usage, traces, the catalog, and errors raised after it was authenticated
(404, 403, 400, and the vault's refusal of agent tokens). Only chat requests count
against the limits: reading them (any number of times) leaves the count alone, so the
next chat request still gets the slot the headers promised. Checked through the network
bridge (gRPC hop), the in-process bridge of ``spidergate serve`` and a gRPC client.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

import grpc
import httpx
import pytest

from bridge.app import create_app
from gate_service.auth.principal import TokenControls
from gate_service.servicers.inprocess import LocalCoreClient
from spidergate.v1 import catalog_pb2, catalog_pb2_grpc, usage_pb2, usage_pb2_grpc
from tests.stack import Stack

LIMIT = "X-RateLimit-Limit-Requests"
REMAINING = "X-RateLimit-Remaining-Requests"
RESET = "X-RateLimit-Reset"
MESSAGES = [{"role": "user", "content": "hi"}]
_names = itertools.count()

# Routes a token with every scope reads successfully.
READS = [
    "/api/gate/v1/usage",
    "/api/gate/v1/traces",
    "/api/gate/v1/models",
    "/api/gate/v1/models/gpt-4o",
    "/api/gate/v1/aliases",
    "/api/gate/v1/providers",
    "/v1/usage?bucket=hour",
    "/v1/traces?limit=1",
    "/v1/models?limit=2",
]

Send = Callable[[str, str, str, Any], httpx.Response]


class Brand:
    """A fresh brand on the shared stack; ``mint`` gives it tokens with controls."""

    def __init__(self, stack: Stack) -> None:
        view, self.credential = stack.core.identity.create_brand(f"rate-brand-{next(_names)}")
        self.client_id = view.client_id
        self._stack = stack

    def mint(self, scopes: list[str] | None = None, **controls: Any) -> str:
        _, token = self._stack.core.identity.mint_token(
            self.client_id, f"agent-{next(_names)}", scopes, TokenControls(**controls)
        )
        return str(token)


@pytest.fixture
def acme(stack: Stack) -> Brand:
    return Brand(stack)


class RawBody(str):
    """A body sent as is, not JSON-encoded (see ``_body``)."""


def _body(body: Any) -> dict[str, Any]:
    """httpx arguments for a JSON body, or a raw one (``RawBody``)."""
    if isinstance(body, RawBody):
        return {"content": str(body).encode()}
    return {"json": body}


def _network(stack: Stack) -> Send:
    def send(method: str, path: str, token: str, body: Any = None) -> httpx.Response:
        return httpx.request(
            method,
            f"http://127.0.0.1:{stack.http_port}{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            **_body(body),
        )

    return send


def _in_process(stack: Stack) -> Send:
    """The bridge as ``spidergate serve`` runs it: on the core's loop, no gRPC hop."""

    def send(method: str, path: str, token: str, body: Any = None) -> httpx.Response:
        async def go() -> httpx.Response:
            app = create_app(client_factory=lambda: LocalCoreClient(stack.core))
            app.state.core = LocalCoreClient(stack.core)  # ASGITransport runs no lifespan
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
                headers = {"Authorization": f"Bearer {token}"}
                return await c.request(method, path, headers=headers, **_body(body))

        return stack.run(go())

    return send


@pytest.fixture(params=["network", "in-process"])
def send(request: pytest.FixtureRequest, stack: Stack) -> Iterator[Send]:
    yield _network(stack) if request.param == "network" else _in_process(stack)


def _chat(send: Send, token: str, **body: Any) -> httpx.Response:
    payload = {"model": "llama-3.1-8b-instant", "messages": MESSAGES, **body}
    return send("POST", "/api/gate/v1/chat/completions", token, payload)


def _send_raw(send: Send, method: str, path: str, token: str, body: str | None) -> httpx.Response:
    """``send`` with a raw (possibly malformed) body instead of JSON."""
    return send(method, path, token, RawBody(body) if body is not None else None)


def _limits(response: httpx.Response) -> tuple[str, str]:
    assert 1 <= int(response.headers[RESET]) <= 60, response.headers
    return response.headers[LIMIT], response.headers[REMAINING]


def test_reads_carry_the_limits_without_using_them(stack: Stack, acme: Brand, send: Send) -> None:
    token = acme.mint(rpm=5)
    for _ in range(2):
        assert _chat(send, token).status_code == 200
    assert stack.run(stack.core.ledger.flush())
    trace_id = send("GET", "/api/gate/v1/traces", token, None).json()["data"][0]["id"]
    for path in [*READS, f"/api/gate/v1/traces/{trace_id}"]:
        for _ in range(2):  # reading twice still uses nothing
            r = send("GET", path, token, None)
            assert r.status_code == 200, (path, r.text)
            assert _limits(r) == ("5", "3"), path
    third = _chat(send, token)
    assert third.status_code == 200
    assert _limits(third) == ("5", "2")  # the slot the reads reported was still there


def test_errors_after_authentication_carry_them(stack: Stack, acme: Brand, send: Send) -> None:
    token = acme.mint(rpm=7)
    chat_only = acme.mint(scopes=["gate:chat"], rpm=4)
    assert _chat(send, token).status_code == 200
    cases: list[tuple[str, str, str, Any, int, str]] = [
        ("GET", "/api/gate/v1/traces/req_nope", token, None, 404, "not_found"),
        ("GET", "/api/gate/v1/models/no-such-model", token, None, 404, "model_not_found"),
        ("GET", "/api/gate/v1/traces?status=teapot", token, None, 400, "invalid_request"),
        ("GET", "/api/gate/v1/vault/keys", token, None, 403, "permission_denied"),
        ("GET", "/api/gate/v1/vault/health", token, None, 403, "permission_denied"),
        ("GET", "/api/gate/v1/usage", chat_only, None, 403, "insufficient_scope"),
    ]
    chat_errors: list[tuple[dict[str, Any], int, str]] = [
        ({"model": "no-such-model"}, 404, "model_not_found"),
        ({"model": "no-such-model", "stream": True}, 404, "model_not_found"),
        ({"model": "spideriq/coding", "max_tokens": 10_000_000}, 422, "no_qualifying_model"),
        ({"messages": []}, 400, "invalid_request"),
    ]
    for method, path, who, body, status, code in cases:
        r = send(method, path, who, body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (path, r.text)
        assert _limits(r) == (("4", "4") if who == chat_only else ("7", "6")), path
    for body, status, code in chat_errors:
        r = _chat(send, token, **body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (body, r.text)
        assert _limits(r) == ("7", "6"), body  # refused before admission: nothing counted
    models_only = acme.mint(scopes=["gate:models"], rpm=3)
    r = _chat(send, models_only)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "insufficient_scope")
    assert _limits(r) == ("3", "3")


def test_errors_the_bridge_finds_follow_the_same_order(acme: Brand, send: Send) -> None:
    """A body that is not JSON or a query that is not a number never reaches the core as
    a request, but is still answered after the credential: 401 first, else the 400 with
    the token's limits."""
    token = acme.mint(rpm=6)
    bad = [
        ("POST", "/api/gate/v1/chat/completions", "not json"),
        ("GET", "/api/gate/v1/traces?limit=many", None),
        ("GET", "/api/gate/v1/usage?bucket=fortnight", None),
        ("GET", "/v1/models?limit=-1", None),
    ]
    for method, path, body in bad:
        r = _send_raw(send, method, path, token, body)
        assert (r.status_code, r.json()["error"]["code"]) == (400, "invalid_request"), path
        assert _limits(r) == ("6", "6"), path
        forged = _send_raw(send, method, path, "spideriq_pat_forged", body)
        assert forged.status_code == 401, (path, forged.text)
        assert LIMIT not in forged.headers


def test_an_exhausted_token_still_reads_and_sees_zero(acme: Brand, send: Send) -> None:
    token = acme.mint(rpm=1, rpd=100)
    assert _chat(send, token).status_code == 200
    refused = _chat(send, token)
    assert refused.status_code == 429
    usage = send("GET", "/api/gate/v1/usage", token, None)
    assert usage.status_code == 200  # the limit is on requests to models, not on reads
    assert _limits(usage) == ("1", "0")
    assert usage.headers[RESET] == refused.headers["Retry-After"]


def test_no_limits_no_headers(acme: Brand, send: Send) -> None:
    """A token without limits, a brand credential, and a failed authentication: none."""
    unlimited = acme.mint()
    for who, path in [
        (unlimited, "/api/gate/v1/usage"),
        (unlimited, "/api/gate/v1/models"),
        (acme.credential, "/api/gate/v1/vault/keys"),
        (acme.credential, "/api/gate/v1/usage"),
        ("sk-sg-not-a-real-token", "/api/gate/v1/usage"),
        ("sk-sg-not-a-real-token", "/api/gate/v1/models"),
    ]:
        r = send("GET", path, who, None)
        assert LIMIT not in r.headers and REMAINING not in r.headers, (path, r.headers)
    assert _chat(send, unlimited).headers.get(LIMIT) is None


class _WithHeaders(Protocol):
    """Any of the read replies: each carries the limits in its ``headers`` map."""

    @property
    def headers(self) -> Mapping[str, str]: ...


def test_grpc_answers_carry_them_in_headers(stack: Stack, acme: Brand) -> None:
    token = acme.mint(rpd=9)
    md = (("authorization", f"Bearer {token}"),)
    with grpc.insecure_channel(stack.grpc_target) as channel:
        usage = usage_pb2_grpc.UsageServiceStub(channel)
        catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
        replies: list[_WithHeaders] = [
            usage.GetUsage(usage_pb2.GetUsageRequest(), metadata=md, timeout=10),
            usage.ListTraces(usage_pb2.ListTracesRequest(), metadata=md, timeout=10),
            catalog.ListModels(catalog_pb2.ListModelsRequest(), metadata=md, timeout=10),
            catalog.GetModel(catalog_pb2.GetModelRequest(id="gpt-4o"), metadata=md, timeout=10),
            catalog.ListAliases(catalog_pb2.ListAliasesRequest(), metadata=md, timeout=10),
            catalog.ListProviders(catalog_pb2.ListProvidersRequest(), metadata=md, timeout=10),
        ]
        for reply in replies:
            assert reply.headers[LIMIT] == "9" and reply.headers[REMAINING] == "9"
            assert reply.headers[RESET] == "86400"
        public = catalog.ListModels(catalog_pb2.ListModelsRequest(), timeout=10)
        assert dict(public.headers) == {}  # no token, nothing to report

"""A chat body the bridge cannot type is typed, and refused, by the core, after the
credential: 401 first; else the 400 naming the parameter, with the token's
``X-RateLimit-*`` (nothing counted). Through the bridge with the core apart (real gRPC)
and in one process (the in-process client ``spidergate serve`` uses)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import httpx
import pytest

from bridge.app import create_app
from gate_service.auth.principal import TokenControls
from gate_service.servicers.inprocess import LocalCoreClient
from tests.stack import Stack

CHAT = "/api/gate/v1/chat/completions"
_HI = '"model":"llama-3.1-8b-instant","messages":[{"role":"user","content":"hi"}]'
_names = itertools.count()

Send = Callable[[bytes, dict[str, str]], httpx.Response]

# raw body -> the param the 400 names (None: the body as a whole)
UNTYPED: list[tuple[bytes, str | None]] = [
    (b"{" + _HI.encode() + b',"temperature":"hot"}', "temperature"),
    (b"{" + _HI.encode() + b',"stream":true,"temperature":"hot"}', "temperature"),
    (b'{"model":"m","messages":[{"role":"user","content":5}]}', "messages[0].content"),
    (b"{" + _HI.encode() + b',"stop":[1]}', "stop[0]"),
    (b"{" + _HI.encode() + b',"spidergate_options":{"cache_enabled":"yes"}}', None),
    (b"{" + _HI.encode() + b',"n":2147483648}', "n"),
    (b"{" + _HI.encode() + b',"zz":' + b"[" * 80 + b"]" * 80 + b"}", "zz"),
    (b"not json", None),
    (b"[1, 2]", None),
]


def _network(stack: Stack) -> Send:
    def send(body: bytes, headers: dict[str, str]) -> httpx.Response:
        url = f"http://127.0.0.1:{stack.http_port}{CHAT}"
        return httpx.post(url, content=body, headers=headers, timeout=30)

    return send


def _in_process(stack: Stack) -> Send:
    def send(body: bytes, headers: dict[str, str]) -> httpx.Response:
        async def go() -> httpx.Response:
            app = create_app(client_factory=lambda: LocalCoreClient(stack.core))
            app.state.core = LocalCoreClient(stack.core)  # ASGITransport runs no lifespan
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
                return await c.post(CHAT, content=body, headers=headers)

        return stack.run(go())

    return send


@pytest.fixture(params=["network", "in-process"])
def send(request: pytest.FixtureRequest, stack: Stack) -> Iterator[Send]:
    yield _network(stack) if request.param == "network" else _in_process(stack)


@pytest.fixture(scope="module")
def token(stack: Stack) -> str:
    view, _ = stack.core.identity.create_brand(f"untyped-{next(_names)}")
    _, minted = stack.core.identity.mint_token(view.client_id, "agent", None, TokenControls(rpm=5))
    return str(minted)


@pytest.mark.parametrize(("body", "param"), UNTYPED)
def test_the_core_answers_what_the_bridge_cannot_type(
    send: Send, token: str, body: bytes, param: str | None
) -> None:
    r = send(body, {"Authorization": f"Bearer {token}"})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_request", error
    if param is not None:
        assert (error["param"] or "").startswith(param), error
    else:
        assert error["param"] is None or error["param"].startswith("spidergate_options")
    # An authenticated answer: the token's limits, and this refusal did not use any.
    assert r.headers["X-RateLimit-Limit-Requests"] == "5"
    assert r.headers["X-RateLimit-Remaining-Requests"] == "5"


@pytest.mark.parametrize(("body", "param"), UNTYPED[:1] + UNTYPED[-2:])
def test_the_credential_is_checked_first(send: Send, body: bytes, param: str | None) -> None:
    forged = send(body, {"Authorization": "Bearer spideriq_pat_forged"})
    assert forged.status_code == 401, forged.text
    assert "X-RateLimit-Limit-Requests" not in forged.headers
    missing = send(body, {})
    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "missing_api_key")

"""The body bound (``BodyLimit``) and the JSON reader (``parse_json``, ``read_json``),
driven as ASGI."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from bridge.body import BodyLimit, parse_json, read_json
from gate_service.config import Settings
from gate_service.errors import GateError

LIMIT = 1_000


class Echo:
    """An app that reads the whole body and answers its length; counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})


def _scope(method: str = "POST", length: int | None = None) -> Scope:
    headers = [(b"content-type", b"application/json")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http", "method": method, "path": "/v1/chat/completions", "headers": headers}


class Client:
    """Feeds ``chunks`` as the request body and records what is read and answered."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)
        self.read = 0
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        if not self.chunks:
            return {"type": "http.disconnect"}
        chunk = self.chunks.pop(0)
        self.read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def body(self) -> Any:
        return orjson.loads(b"".join(m.get("body", b"") for m in self.sent[1:]))


Run = Callable[[Scope, Client], Awaitable[Echo]]


@pytest.fixture
def run() -> Run:
    async def go(scope: Scope, client: Client) -> Echo:
        app = Echo()
        await BodyLimit(app, LIMIT)(scope, client.receive, client.send)
        return app

    return go


async def test_a_declared_length_over_the_bound_is_refused_unread(run: Run) -> None:
    client = Client([b"x" * 600, b"x" * 600])
    app = await run(_scope(length=1_200), client)
    assert (client.status, app.calls, client.read) == (413, 0, 0)
    error = client.body["error"]
    assert error["code"] == "request_too_large" and error["type"] == "invalid_request_error"
    headers = dict(client.sent[0]["headers"])
    assert headers[b"content-type"] == b"application/json" and b"x-request-id" in headers


async def test_a_declared_length_within_the_bound_passes_untouched(run: Run) -> None:
    client = Client([b"x" * 500, b"x" * 500])
    app = await run(_scope(length=1_000), client)
    assert (client.status, app.calls, client.body) == (200, 1, 1_000)


async def test_a_chunked_body_is_refused_as_soon_as_it_passes(run: Run) -> None:
    client = Client([b"x" * 400] * 10)  # 4,000 bytes, no Content-Length
    app = await run(_scope(), client)
    assert (client.status, app.calls) == (413, 0)
    assert client.read == 1_200  # the chunk that crossed 1,000, and nothing after it
    assert len(client.chunks) == 7


async def test_a_chunked_body_within_the_bound_is_replayed(run: Run) -> None:
    client = Client([b"x" * 400, b"x" * 400, b"x" * 200])
    app = await run(_scope(), client)
    assert (client.status, app.calls, client.body) == (200, 1, 1_000)


async def test_a_client_gone_mid_body_gets_nothing(run: Run) -> None:
    client = Client([])  # the first receive is a disconnect
    app = await run(_scope(), client)
    assert (app.calls, client.sent) == (0, [])


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_requests_without_a_body_pass_unread(run: Run, method: str) -> None:
    client = Client([b""])
    app = await run(_scope(method), client)
    assert (client.status, app.calls) == (200, 1)


def test_parse_json_checks_shape_and_depth() -> None:
    assert parse_json(b'{"a": [1]}', 2, lambda body: body) == {"a": [1]}
    for raw, message in [
        (b"{nope", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"a": [[1]]}', "nested deeper than 2 levels"),
    ]:
        with pytest.raises(GateError) as caught:
            parse_json(raw, 2, lambda body: body)
        assert caught.value.code == "invalid_request"
        assert message in caught.value.message
    with pytest.raises(GateError) as caught:
        parse_json(b'{"a": {"b": [1]}}', 2, lambda body: body)
    assert caught.value.param == "a.b"


@pytest.mark.parametrize(("size", "offloaded"), [(50, False), (5_000, True)])
async def test_read_json_parses_large_bodies_in_a_worker_thread(size: int, offloaded: bool) -> None:
    app = Starlette()
    app.state.settings = replace(Settings(), json_offload_bytes=1_000)
    raw = orjson.dumps({"text": "x" * size})
    loop_thread = threading.get_ident()
    seen: list[int] = []

    def convert(body: dict[str, Any]) -> int:
        seen.append(threading.get_ident())
        return len(body["text"])

    async def receive() -> Message:
        return {"type": "http.request", "body": raw, "more_body": False}

    request = Request({**_scope(length=len(raw)), "app": app}, receive)
    assert await read_json(request, convert) == size
    assert (seen[0] != loop_thread) is offloaded


# ------------------------------------------------------------------ uploads

UPLOAD = "/v1/audio/transcriptions"


async def _upload_limit(scope: Scope, client: Client) -> Echo:
    app = Echo()
    limit = BodyLimit(app, LIMIT, max_upload_bytes=3 * LIMIT, upload_paths=frozenset({UPLOAD}))
    await limit(scope, client.receive, client.send)
    return app


async def test_an_upload_route_has_its_own_bound() -> None:
    client = Client([b"x" * 1_000] * 2)
    app = await _upload_limit({**_scope(length=2_000), "path": UPLOAD}, client)
    assert (client.status, app.calls, client.body) == (200, 1, 2_000)
    client = Client([b"x" * 1_000] * 4)
    app = await _upload_limit({**_scope(length=4_000), "path": UPLOAD}, client)
    assert (client.status, app.calls, client.read) == (413, 0, 0)
    assert "3000 bytes" in client.body["error"]["message"]
    # Other routes keep the ordinary bound.
    client = Client([b"x" * 1_000] * 2)
    await _upload_limit(_scope(length=2_000), client)
    assert client.status == 413


async def test_a_chunked_upload_is_counted_as_read_never_buffered() -> None:
    client = Client([b"x" * 1_000] * 2)  # within the bound: handed on as it comes
    app = await _upload_limit({**_scope(), "path": UPLOAD}, client)
    assert (client.status, app.calls, client.body) == (200, 1, 2_000)
    client = Client([b"x" * 1_000] * 5)
    with pytest.raises(GateError) as err:  # the app's handlers answer it (413)
        await _upload_limit({**_scope(), "path": UPLOAD}, client)
    assert err.value.code == "request_too_large"
    assert client.read == 4_000  # the chunk that crossed 3,000, and nothing after it

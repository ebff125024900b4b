"""``Connection: close`` while the process drains (bridge/readiness.py), driven as ASGI.
The route itself, and the drain as a whole, are tested on real processes
(tests/e2e/test_drain.py)."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from bridge.readiness import CloseWhenDraining, Readiness


async def _ok(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def _headers(app: CloseWhenDraining) -> list[tuple[bytes, bytes]]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "http", "method": "GET", "path": "/v1/models"}, receive, send)
    assert sent[1] == {"type": "http.response.body", "body": b"ok"}
    return list(sent[0]["headers"])


async def test_answers_close_their_connection_only_once_draining() -> None:
    readiness = Readiness()
    app = CloseWhenDraining(_ok, readiness)
    assert await _headers(app) == [(b"x-a", b"1")]
    readiness.drain()
    assert await _headers(app) == [(b"x-a", b"1"), (b"connection", b"close")]

"""Load shedding (``LoadShedding``): a bound on requests in flight, driven as ASGI."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from starlette.types import Message, Receive, Scope, Send

from bridge.shedding import LoadShedding

EXEMPT = frozenset({"/metrics", "/v1/health"})


class Held:
    """An app whose requests stay in flight until ``release`` is set; a stream-like answer
    (two body parts) so that a request counts until its last part. Health and metrics
    answer at once."""

    def __init__(self, expect: int = 1) -> None:
        self.release = asyncio.Event()
        self.started = 0
        self.expect = expect
        self.all_started = asyncio.Event()  # ``expect`` requests are in

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.started += 1
        if self.started == self.expect:
            self.all_started.set()
        if scope["path"] == "/boom":
            raise RuntimeError("boom")
        if scope["path"] in EXEMPT:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await self.release.wait()
        await send({"type": "http.response.body", "body": b"b"})


async def _request(app: LoadShedding, path: str = "/v1/chat/completions") -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": []}
    await app(scope, receive, send)
    return sent


async def test_past_the_bound_a_503_overloaded_at_once() -> None:
    inner = Held(expect=2)
    app = LoadShedding(inner, limit=2, exempt=EXEMPT)
    held = [asyncio.create_task(_request(app)) for _ in range(2)]
    await asyncio.wait_for(inner.all_started.wait(), 5)
    assert app.in_flight == 2
    refused = await _request(app)
    assert refused[0]["status"] == 503
    headers = dict(refused[0]["headers"])
    assert headers[b"retry-after"] == b"1"
    error = orjson.loads(refused[1]["body"])["error"]
    assert (error["code"], error["type"]) == ("overloaded", "api_error")
    assert inner.started == 2  # the refused request never reached the app
    inner.release.set()
    for task in held:
        assert (await task)[0]["status"] == 200
    assert app.in_flight == 0
    assert (await _request(app))[0]["status"] == 200


async def test_a_streamed_answer_counts_until_its_last_part() -> None:
    inner = Held()
    app = LoadShedding(inner, limit=1, exempt=EXEMPT)
    stream = asyncio.create_task(_request(app))
    await asyncio.wait_for(inner.all_started.wait(), 5)
    # Its headers and first part are out, the rest is not: still counted.
    assert app.in_flight == 1
    assert (await _request(app))[0]["status"] == 503
    inner.release.set()
    await stream
    assert app.in_flight == 0


async def test_health_and_metrics_are_never_counted_nor_refused() -> None:
    inner = Held()
    app = LoadShedding(inner, limit=1, exempt=EXEMPT)
    held = asyncio.create_task(_request(app))
    await asyncio.wait_for(inner.all_started.wait(), 5)
    for path in ("/v1/health", "/metrics"):
        assert (await _request(app, path))[0]["status"] == 200
    assert app.in_flight == 1
    inner.release.set()
    await held


async def test_a_failing_request_is_uncounted() -> None:
    app = LoadShedding(Held(), limit=1, exempt=EXEMPT)
    with pytest.raises(RuntimeError):
        await _request(app, "/boom")
    assert app.in_flight == 0


def test_the_bound_is_positive() -> None:
    with pytest.raises(ValueError):
        LoadShedding(Held(), limit=0, exempt=EXEMPT)

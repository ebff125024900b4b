"""Streams are billed however they end (api.md, "Streaming"): a client that drops the
connection before ``[DONE]`` (after reading the whole answer, or three chunks of it) and a
stream the upstream cuts are billed for the prompt and what was generated, settled against
the reservation, and recorded with why they ended; so a hard budget cannot be dodged by
dropping streams. Checked through the bridge with the core apart (gRPC) and through the
in-process bridge of ``spidergate serve``, both on real sockets.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from gate_service.auth.principal import TokenControls
from gate_service.cli.serve import _bridge
from tests.stack import Stack, free_port

MODEL = "openai/gpt-4o"  # priced, so a billed stream costs more than $0
UPSTREAM_MODEL = "gpt-4o"  # the name the openai provider, first in the chain, is sent
_names = itertools.count()


@pytest.fixture(scope="module")
def in_process_url(stack: Stack) -> Iterator[str]:
    """A second bridge, as ``spidergate serve`` runs it: on the core's loop, in-process
    channel, real HTTP socket."""
    settings = replace(stack.settings, port=free_port())
    server = _bridge(stack.core, settings)

    async def start() -> Any:
        import asyncio

        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                await task
            await asyncio.sleep(0.01)
        return task

    task = stack.run(start())
    yield f"http://127.0.0.1:{settings.port}/api/gate/v1"

    async def stop() -> None:
        server.should_exit = True
        await task

    stack.run(stop())


@pytest.fixture(params=["network", "in-process"])
def base_url(request: pytest.FixtureRequest, stack: Stack) -> str:
    if request.param == "network":
        return stack.base_url
    return str(request.getfixturevalue("in_process_url"))


@pytest.fixture(autouse=True)
def no_faults(stack: Stack) -> Iterator[None]:
    yield
    stack.mock.state.clear_faults()
    # A cut stream degrades the key, which would reorder the next test's candidates.
    stack.core.router.health.clear()


def _token(stack: Stack, **controls: Any) -> str:
    identity = stack.core.identity
    brand = identity.brand_by_name("metering") or identity.create_brand("metering")[0]
    _, token = identity.mint_token(
        brand.client_id, f"meter-{next(_names)}", None, TokenControls(**controls)
    )
    return str(token)


def _slow(stack: Stack, delay_ms: int = 40) -> None:
    """Every upstream event of the model a little apart, so the client can leave
    between two of them."""
    stack.mock.state.add_fault(
        {"kind": "slow_stream", "chunk_delay_ms": delay_ms, "match": {"model": UPSTREAM_MODEL}}
    )


def _events(response: httpx.Response) -> Iterator[dict[str, Any] | str]:
    for line in response.iter_lines():
        if line.startswith("data: "):
            data = line[6:]
            yield data if data == "[DONE]" else json.loads(data)


def _stream_and_leave(
    base_url: str,
    token: str,
    *,
    after: int | None,
    words: int = 30,
    prompt: str = "go",
    **extra: Any,
) -> tuple[str, list[dict[str, Any] | str]]:
    """Stream, read ``after`` content chunks (None: up to the finishing chunk), then drop
    the connection before ``[DONE]``. Returns the request id and what was read."""
    rid = uuid.uuid4().hex
    body = {
        "model": MODEL,
        "stream": True,
        "messages": [{"role": "user", "content": f"[mock:words={words}] {prompt}"}],
        **extra,
    }
    seen: list[dict[str, Any] | str] = []
    headers = {"Authorization": f"Bearer {token}", "X-Request-Id": rid}
    with (
        httpx.Client(timeout=30) as client,
        client.stream("POST", f"{base_url}/chat/completions", json=body, headers=headers) as r,
    ):
        assert r.status_code == 200, r.read()
        content = 0
        for event in _events(r):
            seen.append(event)
            assert event != "[DONE]", "the client meant to leave before [DONE]"
            assert isinstance(event, dict)
            choices = event.get("choices") or [{}]
            if choices[0].get("delta", {}).get("content"):
                content += 1
            if after is not None and content >= after:
                break
            if after is None and choices[0].get("finish_reason"):
                break
    # Leaving the block closed the connection with the body unread.
    return rid, seen


def _trace(base_url: str, token: str, rid: str, timeout: float = 15.0) -> dict[str, Any]:
    """The ledger's record of a request, once written (the ledger writes behind)."""
    deadline = time.monotonic() + timeout
    while True:
        r = httpx.get(
            f"{base_url}/traces/{rid}", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        if r.status_code == 200:
            trace: dict[str, Any] = r.json()
            return trace
        assert r.status_code == 404, r.text
        assert time.monotonic() < deadline, f"request {rid} never reached the ledger"
        time.sleep(0.05)


def _assert_billed(trace: dict[str, Any]) -> None:
    assert trace["streamed"] is True
    assert trace["usage"]["prompt_tokens"] > 0, trace
    assert trace["usage"]["completion_tokens"] > 0, trace
    assert trace["cost_usd"] > 0, trace


def test_a_stream_dropped_just_before_done_is_billed(stack: Stack, base_url: str) -> None:
    token = _token(stack)
    # Events 300 ms apart: the client is gone well before the upstream's usage and [DONE].
    _slow(stack, delay_ms=300)
    rid, seen = _stream_and_leave(base_url, token, after=None, words=8)
    assert any(isinstance(e, dict) and e["choices"][0].get("finish_reason") for e in seen)
    trace = _trace(base_url, token, rid)
    assert (trace["status"], trace["error_code"]) == (499, "client_closed")
    _assert_billed(trace)
    # The whole answer went out: its 8 words are billed (a token a word or more).
    assert trace["usage"]["completion_tokens"] >= 8


def test_a_stream_dropped_after_three_chunks_is_billed(stack: Stack, base_url: str) -> None:
    token = _token(stack)
    _slow(stack)
    rid, _ = _stream_and_leave(base_url, token, after=3, words=200)
    trace = _trace(base_url, token, rid)
    assert (trace["status"], trace["error_code"]) == (499, "client_closed")
    _assert_billed(trace)
    # Billed for what was generated before the client left, not for the 200 words.
    assert trace["usage"]["completion_tokens"] < 200


def test_dropping_streams_cannot_get_past_a_hard_budget(stack: Stack, base_url: str) -> None:
    # A prompt of ~1,000 tokens costs ~$0.0025 at gpt-4o's $2.50/M: a $0.01 budget is
    # spent after about four streams, however early each one is dropped. (max_tokens
    # keeps each request's worst case, which is reserved up front, under the budget.)
    budget = 0.01
    token = _token(stack, budget_usd=budget)
    _slow(stack)
    prompt = "lorem ipsum " * 340
    answered = 0
    refused: httpx.Response | None = None
    ids = []
    for _ in range(20):
        try:
            rid, _ = _stream_and_leave(base_url, token, after=2, prompt=prompt, max_tokens=40)
        except AssertionError:
            pass
        else:
            answered += 1
            ids.append(rid)
            continue
        refused = httpx.post(
            f"{base_url}/chat/completions",
            json={
                "model": MODEL,
                "stream": True,
                "max_tokens": 40,
                "messages": [{"role": "user", "content": prompt}],
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        break
    assert refused is not None, f"{answered} dropped streams and still no 402"
    assert refused.status_code == 402, refused.text
    assert refused.json()["error"]["code"] == "budget_exceeded"
    assert 2 <= answered <= 8, answered
    spent = sum(_trace(base_url, token, rid)["cost_usd"] for rid in ids)
    assert 0 < spent <= budget + 1e-9, spent


def test_a_stream_the_upstream_cuts_is_billed_and_says_so(stack: Stack, base_url: str) -> None:
    token = _token(stack)
    stack.mock.state.add_fault(
        {
            "kind": "stream_cut",
            "after_chunks": 6,
            # Paced: events that arrive in one read with the cut are lost by the HTTP
            # client, and a stream cut before its first chunk fails over instead.
            "chunk_delay_ms": 30,
            "match": {"model": UPSTREAM_MODEL},
        }
    )
    rid = uuid.uuid4().hex
    r = httpx.post(
        f"{base_url}/chat/completions",
        json={
            "model": MODEL,
            "stream": True,
            "messages": [{"role": "user", "content": "[mock:words=40] go"}],
        },
        headers={"Authorization": f"Bearer {token}", "X-Request-Id": rid},
        timeout=30,
    )
    assert r.status_code == 200
    events = [line[6:] for line in r.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert json.loads(events[-2])["error"]["code"] == "upstream_error"
    trace = _trace(base_url, token, rid)
    assert (trace["status"], trace["error_code"]) == (502, "upstream_error")
    _assert_billed(trace)

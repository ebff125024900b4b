"""504 ``upstream_timeout`` when every attempt timed out (issue 11 item 7), end to end with
the mock's faults: through each wire format, on chat and legacy completions, unary and
streamed (a stream that never started), an upstream that answers 504 itself, over gRPC
(``DEADLINE_EXCEEDED`` with the reason in its ``ErrorDetail``); and mixed failures, some
timeouts and some 500s, staying 502 ``all_providers_failed``.

Per-attempt timeouts of 300 ms against an upstream that sleeps 1.5 s, two attempts: each
request ends in well under two seconds, far inside the overall deadline (120 s), so the
504 here is the attempts' verdict, not the deadline's (that one: ``test_deadline.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import openai
import pytest
from openai import OpenAI

from spidergate.v1 import chat_pb2, chat_pb2_grpc, stream_pb2, stream_pb2_grpc
from tests.e2e.grpc_api.support import bearer, chat_request, rich_error
from tests.stack import Stack

MODELS = {
    "openai": "groq/llama-3.3-70b-versatile",
    "anthropic": "anthropic/claude-3-5-haiku-latest",
    "gemini": "google_ai/gemini-2.0-flash",
}
HANG = {"kind": "delay", "delay_ms": 1500}
QUICK = {"timeout_ms": 300, "retry_count": 1}


@pytest.fixture(autouse=True)
def clean(stack: Stack) -> Iterator[None]:
    stack.core.router.health.clear()
    stack.mock.state.clear_faults()
    yield
    stack.mock.state.clear_faults()
    stack.core.router.health.clear()


@pytest.fixture(scope="module")
def client(stack: Stack, token: str) -> OpenAI:
    return OpenAI(base_url=stack.base_url, api_key=token, max_retries=0)


def _error(exc: openai.APIStatusError) -> dict[str, Any]:
    body = exc.response.json()
    assert isinstance(body, dict) and "error" in body, body
    return body


def _assert_timed_out(exc: openai.APIStatusError, attempts: int) -> None:
    """A 504 ``upstream_timeout`` listing ``attempts`` attempts, every one a timeout (a
    pinned model has one key in the test vault: one attempt; an alias tries more)."""
    assert exc.status_code == 504, exc.response.text
    body = _error(exc)
    assert body["error"]["code"] == "upstream_timeout"
    assert body["error"]["type"] == "api_error"
    assert body["error"]["message"] == f"All {attempts} attempts timed out."
    tried = body["spidergate_error"]["attempts"]
    assert [a["error_code"] for a in tried] == ["timeout"] * attempts


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "stream"])
@pytest.mark.parametrize("fmt", sorted(MODELS))
def test_chat_every_attempt_timing_out_is_504(
    client: OpenAI, stack: Stack, fmt: str, stream: bool
) -> None:
    stack.mock.state.add_fault({**HANG, "match": {"format": fmt}})
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(
            model=MODELS[fmt],
            messages=[{"role": "user", "content": "hi"}],
            stream=stream,
            extra_body={"spidergate_options": QUICK},
        )
    _assert_timed_out(info.value, 1)
    if stream:  # the stream never started: a plain JSON 504, no SSE frame
        assert info.value.response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "stream"])
def test_completions_every_attempt_timing_out_is_504(
    client: OpenAI, stack: Stack, stream: bool
) -> None:
    stack.mock.state.add_fault(HANG)
    with pytest.raises(openai.InternalServerError) as info:
        client.completions.create(
            model="spideriq/fast",
            prompt="Once upon a time",
            stream=stream,
            extra_body={"spidergate_options": QUICK},
        )
    _assert_timed_out(info.value, 2)


@pytest.mark.parametrize("fmt", sorted(MODELS))
def test_an_upstream_answering_504_is_a_timeout_too(client: OpenAI, stack: Stack, fmt: str) -> None:
    stack.mock.state.add_fault({"kind": "error", "status": 504, "match": {"format": fmt}})
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(
            model=MODELS[fmt],
            messages=[{"role": "user", "content": "hi"}],
        )
    _assert_timed_out(info.value, 1)
    assert {a["status"] for a in _error(info.value)["spidergate_error"]["attempts"]} == {504}


def test_mixed_timeouts_and_server_errors_stay_502(client: OpenAI, stack: Stack) -> None:
    # Groq's upstream hangs, every other one answers 500: some attempts timed out, not all.
    stack.mock.state.add_fault({**HANG, "match": {"path": "/groq"}})
    stack.mock.state.add_fault({"kind": "error", "status": 500})
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(
            model="spideriq/fast",
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"spidergate_options": {"timeout_ms": 300}},
        )
    assert info.value.status_code == 502, info.value.response.text
    body = _error(info.value)
    assert body["error"]["code"] == "all_providers_failed"
    codes = {a["error_code"] for a in body["spidergate_error"]["attempts"]}
    assert codes == {"timeout", "server"}, codes


def test_mixed_streamed_stays_502(stack: Stack, token: str) -> None:
    stack.mock.state.add_fault({**HANG, "match": {"path": "/groq"}})
    stack.mock.state.add_fault({"kind": "error", "status": 500})
    r = httpx.post(
        stack.base_url + "/chat/completions",
        json={
            "model": "spideriq/fast",
            "messages": [{"role": "user", "content": "hi"}],
            "stream": True,
            "spidergate_options": {"timeout_ms": 300},
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert r.status_code == 502, r.text
    assert r.json()["error"]["code"] == "all_providers_failed"


def test_grpc_callers_get_deadline_exceeded_with_the_reason(stack: Stack, token: str) -> None:
    stack.mock.state.add_fault(HANG)
    request = chat_request(model="spideriq/fast")
    request.spidergate_options.timeout_ms = QUICK["timeout_ms"]
    request.spidergate_options.retry_count = QUICK["retry_count"]
    with grpc.insecure_channel(stack.grpc_target) as channel:
        chat = chat_pb2_grpc.ChatServiceStub(channel)
        with pytest.raises(grpc.RpcError) as unary:
            chat.CreateChatCompletion(
                chat_pb2.CreateChatCompletionRequest(request=request),
                metadata=bearer(token),
                timeout=30,
            )
        streams = stream_pb2_grpc.StreamServiceStub(channel)
        with pytest.raises(grpc.RpcError) as streamed:
            for _ in streams.StreamChatCompletion(
                stream_pb2.StreamChatCompletionRequest(request=request),
                metadata=bearer(token),
                timeout=30,
            ):
                pass
    for caught in (unary.value, streamed.value):
        assert caught.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        detail, _ = rich_error(caught)
        assert (detail.code, detail.http_status) == ("upstream_timeout", 504)

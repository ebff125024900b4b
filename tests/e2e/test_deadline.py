"""The overall request deadline (api.md: 504 ``upstream_timeout``): an upstream that never
answers holds a client no longer than the deadline, whatever the per-attempt timeouts and
the number of candidates; a stream gets a plain 504 before its first chunk; every attempt
timing out on its own is a 504 too; a gRPC caller's own shorter deadline is honoured.

A gateway of its own, with a 2 s deadline and the per-attempt timeout left at its 60 s
default, so only the overall deadline can end these requests in time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import grpc
import httpx
import pytest

from spidergate.v1 import chat_pb2, chat_pb2_grpc, common_pb2
from tests.stack import Stack, make_settings

DEADLINE_S = 2.0
MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data: Path = tmp_path_factory.mktemp("deadline")
    settings = replace(make_settings(data), request_deadline_s=DEADLINE_S)
    stack = Stack(settings).start(demo=True)
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def token(gateway: Stack) -> str:
    view, _ = gateway.core.identity.create_brand("deadline")
    _, token = gateway.core.identity.mint_token(view.client_id, "agent", None)
    return str(token)


@pytest.fixture(autouse=True)
def hanging_upstream(gateway: Stack) -> Iterator[None]:
    # Every provider sits on every request for ten minutes.
    gateway.mock.state.add_fault({"kind": "delay", "delay_ms": 600_000})
    yield
    gateway.mock.state.clear_faults()
    gateway.core.router.health.clear()


def _post(gateway: Stack, token: str, **body: object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    r = httpx.post(
        gateway.base_url + "/chat/completions",
        json={"model": "spideriq/chat", "messages": MESSAGES, **body},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    return r, time.monotonic() - started


def _assert_timeout(r: httpx.Response) -> None:
    assert r.status_code == 504, r.text
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert error["code"] == "upstream_timeout" and error["type"] == "api_error"


def test_a_never_answering_upstream_gets_504_within_the_deadline(
    gateway: Stack, token: str
) -> None:
    r, took = _post(gateway, token)
    _assert_timeout(r)
    assert f"{DEADLINE_S:g} s" in r.json()["error"]["message"]
    assert DEADLINE_S - 0.1 <= took < DEADLINE_S + 1.0, took
    # The attempt it cut short is listed.
    attempts = r.json()["spidergate_error"]["attempts"]
    assert attempts and attempts[-1]["error_code"] == "timeout"


def test_a_stream_gets_a_plain_504_before_its_first_chunk(gateway: Stack, token: str) -> None:
    r, took = _post(gateway, token, stream=True)
    _assert_timeout(r)
    assert took < DEADLINE_S + 1.0, took


def test_the_key_is_not_blamed_for_the_deadline(gateway: Stack, token: str) -> None:
    _post(gateway, token)
    states = gateway.core.router.health.states()
    assert all(s.failures == 0 for s in states.values()), states


def test_every_attempt_timing_out_is_a_504(gateway: Stack, token: str) -> None:
    # Per-attempt timeouts of 200 ms, two attempts: both time out well inside the deadline.
    r, took = _post(gateway, token, spidergate_options={"timeout_ms": 200, "retry_count": 1})
    _assert_timeout(r)
    assert r.json()["error"]["message"] == "All 2 attempts timed out."
    assert took < DEADLINE_S, took


def test_a_grpc_callers_shorter_deadline_is_honoured(gateway: Stack, token: str) -> None:
    with grpc.insecure_channel(gateway.grpc_target) as channel:
        chat = chat_pb2_grpc.ChatServiceStub(channel)
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as caught:
            chat.CreateChatCompletion(
                chat_pb2.CreateChatCompletionRequest(
                    request=common_pb2.ChatCompletionRequest(
                        model="spideriq/chat",
                        messages=[common_pb2.ChatMessage(role="user", text="hi")],
                    )
                ),
                metadata=(("authorization", f"Bearer {token}"),),
                timeout=0.5,
            )
        took = time.monotonic() - started
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert took < 1.5, took
    # The core stopped waiting too: nothing of the request is still running.
    deadline = time.monotonic() + 5
    while gateway.core.pipeline.in_flight and time.monotonic() < deadline:
        time.sleep(0.02)
    assert gateway.core.pipeline.in_flight == 0

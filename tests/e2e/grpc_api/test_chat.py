"""ChatService and StreamService through the generated Python stubs, over a real HTTP/2
channel to the core; the rich error status and its parity with the REST envelope.
Sync gRPC on purpose: the gateway runs on its own loop in another thread."""

from __future__ import annotations

import re
from typing import Any

import grpc
import httpx
import pytest

from spidergate.v1 import (
    chat_pb2_grpc,
    common_pb2,
    stream_pb2_grpc,
)
from tests.e2e.grpc_api.support import (
    bearer,
    chat_request,
    complete,
    rest_envelope,
    rich_error,
    stream_all,
)
from tests.stack import Stack

# --------------------------------------------------------------------------------- chat


def test_create_chat_completion_is_typed(
    chat: chat_pb2_grpc.ChatServiceStub, token: str, stack: Stack
) -> None:
    reply = complete(chat, chat_request(), bearer(token))
    c = reply.completion
    assert re.fullmatch(r"chatcmpl-[0-9a-f]{24}", c.id)
    assert c.object == "chat.completion"
    assert c.created > 0
    assert c.model == "llama-3.1-8b-instant"  # the concrete model, never the alias
    assert len(c.choices) == 1
    choice = c.choices[0]
    assert choice.index == 0
    assert choice.message.role == "assistant"
    assert choice.message.HasField("content") and choice.message.content
    assert choice.finish_reason == "stop"
    assert c.HasField("usage")
    assert c.usage.prompt_tokens > 0 and c.usage.completion_tokens > 0
    assert c.usage.total_tokens == c.usage.prompt_tokens + c.usage.completion_tokens
    meta = c.spidergate_metadata
    assert meta.provider == "groq"
    assert meta.provider_model == "llama-3.1-8b-instant"
    assert meta.requested_model == "spideriq/fast"
    assert meta.fallback_used is False
    assert meta.cost_usd >= 0
    assert meta.request_id
    assert len(c.route_trace) == 0  # only when include_route_trace

    # The provider got the concrete model and our messages.
    sent = stack.mock.state.records[-1].body
    assert sent["model"] == "llama-3.1-8b-instant"
    assert sent["messages"][-1] == {"role": "user", "content": "Say hello in three languages."}


def test_route_trace_on_request(chat: chat_pb2_grpc.ChatServiceStub, token: str) -> None:
    c = complete(chat, chat_request(include_route_trace=True), bearer(token)).completion
    assert c.route_trace[-1].outcome == "success"
    assert c.route_trace[-1].provider == "groq"
    assert all("demo-key" not in a.key for a in c.route_trace)


def test_client_request_id_is_used(chat: chat_pb2_grpc.ChatServiceStub, token: str) -> None:
    md = (*bearer(token), ("x-request-id", "grpc-test-rid-1"))
    c = complete(chat, chat_request(), md).completion
    assert c.spidergate_metadata.request_id == "grpc-test-rid-1"


def test_stream_role_first_finish_last_same_text_as_unary(
    chat: chat_pb2_grpc.ChatServiceStub, stream: stream_pb2_grpc.StreamServiceStub, token: str
) -> None:
    req = chat_request(model="spideriq/chat", content="Count to five.")
    messages = stream_all(stream, req, bearer(token))
    # Chunks that arrived together travel in one message; every message carries some.
    assert all(m.chunks for m in messages)
    chunks = [c for m in messages for c in m.chunks]
    assert len(chunks) >= 2
    # Headers ride on the first message only.
    assert all(not m.headers for m in messages[1:])

    first = chunks[0]
    assert first.choices[0].delta.HasField("role")
    assert first.choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(ch.choices[0].finish_reason == "" for ch in chunks[:-1])
    assert all(not ch.HasField("usage") for ch in chunks)  # not asked for
    assert len({ch.id for ch in chunks}) == 1
    assert all(ch.object == "chat.completion.chunk" for ch in chunks)
    assert all(ch.model == "llama-3.3-70b-versatile" for ch in chunks)

    text = "".join(ch.choices[0].delta.content for ch in chunks if ch.choices)
    assert text
    whole = complete(chat, req, bearer(token)).completion
    assert text == whole.choices[0].message.content


def test_stream_usage_chunk_only_when_asked(
    stream: stream_pb2_grpc.StreamServiceStub, token: str
) -> None:
    req = chat_request(content="hi", stream_options=common_pb2.StreamOptions(include_usage=True))
    chunks = [c for m in stream_all(stream, req, bearer(token)) for c in m.chunks]
    last = chunks[-1]
    assert len(last.choices) == 0
    assert last.HasField("usage")
    assert last.usage.completion_tokens > 0 and last.usage.total_tokens > 0
    assert all(not ch.HasField("usage") for ch in chunks[:-1])
    assert chunks[-2].choices[0].finish_reason == "stop"

    explicit_off = chat_request(
        content="hi", stream_options=common_pb2.StreamOptions(include_usage=False)
    )
    chunks = [c for m in stream_all(stream, explicit_off, bearer(token)) for c in m.chunks]
    assert all(not ch.HasField("usage") for ch in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_stream_error_before_first_chunk_is_a_plain_status(
    stream: stream_pb2_grpc.StreamServiceStub, token: str
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        stream_all(stream, chat_request(model="no-such-model"), bearer(token))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    detail, _ = rich_error(err.value)
    assert detail.code == "model_not_found" and detail.param == "model"


# ------------------------------------------------------------------------------- errors


def test_no_metadata_is_unauthenticated(chat: chat_pb2_grpc.ChatServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as err:
        complete(chat, chat_request(), ())
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    detail, info = rich_error(err.value)
    assert detail.code == "missing_api_key"
    assert detail.type == "authentication_error"
    assert detail.http_status == 401
    assert dict(detail.headers) == {"WWW-Authenticate": "Bearer"}
    assert detail.param == ""
    assert info.reason == "missing_api_key"


def test_unknown_model_is_not_found(chat: chat_pb2_grpc.ChatServiceStub, token: str) -> None:
    with pytest.raises(grpc.RpcError) as err:
        complete(chat, chat_request(model="no-such-model"), bearer(token))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    detail, _ = rich_error(err.value)
    assert detail.code == "model_not_found"
    assert detail.type == "not_found_error"
    assert detail.param == "model"
    assert detail.http_status == 404


def test_out_of_range_temperature_is_invalid_argument(
    chat: chat_pb2_grpc.ChatServiceStub, token: str
) -> None:
    with pytest.raises(grpc.RpcError) as err:
        complete(chat, chat_request(temperature=3), bearer(token))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    detail, _ = rich_error(err.value)
    assert detail.code == "invalid_request"
    assert detail.type == "invalid_request_error"
    assert detail.param == "temperature"
    assert detail.http_status == 400


PARITY_CASES: dict[str, tuple[dict[str, Any], bool]] = {
    "missing_api_key": ({"model": "spideriq/fast"}, False),
    "model_not_found": ({"model": "no-such-model"}, True),
    "invalid_temperature": ({"model": "spideriq/fast", "temperature": 3}, True),
}


@pytest.mark.parametrize("case", list(PARITY_CASES))
def test_grpc_and_rest_report_the_same_error(
    chat: chat_pb2_grpc.ChatServiceStub, stack: Stack, token: str, case: str
) -> None:
    fields, authed = PARITY_CASES[case]
    content = "parity check"
    req = chat_request(content=content, **{k: v for k, v in fields.items() if k != "model"})
    req.model = str(fields["model"])
    with pytest.raises(grpc.RpcError) as err:
        complete(chat, req, bearer(token) if authed else ())
    detail, _ = rich_error(err.value)

    body = {
        **fields,
        "messages": [
            {"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": content},
        ],
    }
    headers = {"Authorization": f"Bearer {token}"} if authed else {}
    r = httpx.post(stack.base_url + "/chat/completions", json=body, headers=headers, timeout=30)
    assert r.status_code == detail.http_status
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == rest_envelope(detail)
    for name, value in detail.headers.items():
        assert r.headers[name] == value

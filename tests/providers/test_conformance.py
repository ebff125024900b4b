"""One suite every wire adapter runs: the same OpenAI request and the same answers
(written per format in ``canned``) must come out the same for the client.

The adapters are the registry's (``default_adapters``), so a registered format runs every
test here; what differs per format is data (``canned``, ``support``) and the request's
shape (``conformance_cases``), never a branch in a test."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gate_service.catalog.schema import API_FORMATS
from gate_service.domain.openai_json import chunk_to_json, completion_to_json
from gate_service.providers.base import FailureKind, WireAdapter
from gate_service.providers.registry import WIRE_FORMATS, default_adapters
from tests.domain.build import chat_request
from tests.providers.canned import ARGS, CANNED, MODELS, TEXT
from tests.providers.conformance_cases import SHAPES
from tests.providers.support import AUTH_HEADERS, CREATED, PROVIDERS, SECRET, reassemble, target

FORMATS = list(WIRE_FORMATS)

REQUEST: dict[str, Any] = {
    "model": "alias/chat",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
    ],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather.",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ],
    "max_tokens": 100,
    "spidergate_options": {"timeout_ms": 5000},
}

EXPECTED = {
    "text": ({"content": TEXT, "tool_calls": []}, "stop"),
    "tool": ({"content": None, "tool_calls": [("get_weather", ARGS)]}, "tool_calls"),
}


def _essence(message: dict[str, Any]) -> dict[str, Any]:
    """What must agree across formats: content, and tool calls by name and arguments
    (compared as JSON values: streamed argument text may be spaced differently)."""
    calls = [
        (c["function"]["name"], orjson.loads(c["function"]["arguments"]))
        for c in message.get("tool_calls") or []
    ]
    return {"content": message.get("content"), "tool_calls": calls}


def adapter(fmt: str) -> WireAdapter:
    """The registry's adapter of a format, with the clock fixed for golden comparisons."""
    return default_adapters(clock=lambda: CREATED)[fmt]


def test_every_registered_adapter_has_a_case() -> None:
    """A format added to the registry needs its test data here, or this names it."""
    for table in (SHAPES, CANNED, MODELS, AUTH_HEADERS, PROVIDERS):
        assert sorted(table) == sorted(WIRE_FORMATS)
    for fmt, wire in default_adapters().items():
        assert wire.name == fmt
    # ...and the catalog accepts exactly the registered formats as a provider's api_format.
    assert frozenset(WIRE_FORMATS) == API_FORMATS


def _feed(wire: WireAdapter, fmt: str, events: list[Any]) -> tuple[list[dict[str, Any]], bool]:
    decoder = wire.stream_decoder(target(fmt, MODELS[fmt]))
    chunks: list[dict[str, Any]] = []
    for event in events:
        data = event.encode() if isinstance(event, str) else orjson.dumps(event)
        chunks.extend(chunk_to_json(c) for c in decoder.feed(data))
    return chunks, decoder.done


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("stream", [False, True])
def test_build_request(fmt: str, stream: bool) -> None:
    wire = adapter(fmt)
    req = wire.build_request(target(fmt, MODELS[fmt]), chat_request(REQUEST), stream=stream)
    body = orjson.loads(req.body)
    assert isinstance(body, dict)
    SHAPES[fmt].check_request(body, req.url)
    assert SHAPES[fmt].asks_to_stream(body, req.url) is stream
    assert b"spidergate_options" not in req.body
    name, value = AUTH_HEADERS[fmt]
    assert req.headers[name] == value
    assert req.headers["content-type"] == "application/json"
    # The key appears in its header and nowhere else.
    assert SECRET not in req.url
    assert SECRET.encode() not in req.body
    assert all(SECRET not in v for k, v in req.headers.items() if k != name)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("answer", ["text", "tool"])
def test_parse_response_agrees(fmt: str, answer: str) -> None:
    completion = completion_to_json(
        adapter(fmt).parse_response(target(fmt, MODELS[fmt]), orjson.dumps(CANNED[fmt][answer]))
    )
    assert completion["object"] == "chat.completion"
    choice = completion["choices"][0]
    assert choice["message"]["role"] == "assistant"
    assert (_essence(choice["message"]), choice["finish_reason"]) == EXPECTED[answer]
    assert completion["usage"]["prompt_tokens"] == 20
    assert completion["usage"]["completion_tokens"] == 8
    assert completion["usage"]["total_tokens"] == 28


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("answer", ["text", "tool"])
def test_stream_reassembles_to_the_whole_answer(fmt: str, answer: str) -> None:
    wire = adapter(fmt)
    chunks, done = _feed(wire, fmt, CANNED[fmt][f"{answer}_stream"])
    assert done
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    rebuilt = reassemble(chunks)
    whole = completion_to_json(
        wire.parse_response(target(fmt, MODELS[fmt]), orjson.dumps(CANNED[fmt][answer]))
    )
    assert _essence(rebuilt["message"]) == _essence(whole["choices"][0]["message"])
    assert (_essence(rebuilt["message"]), rebuilt["finish_reason"]) == EXPECTED[answer]
    usage_chunks = [c for c in chunks if c["choices"] == [] and "usage" in c]
    assert len(usage_chunks) == 1 and chunks[-1] is usage_chunks[0]
    assert usage_chunks[0]["usage"]["total_tokens"] == whole["usage"]["total_tokens"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("status", "headers", "kind", "retry_after"),
    [
        (429, {"retry-after": "3"}, FailureKind.RATE_LIMITED, 3.0),
        (401, {}, FailureKind.AUTH, None),
        (404, {}, FailureKind.MODEL_NOT_FOUND, None),
        (400, {}, FailureKind.BAD_REQUEST, None),
        (503, {}, FailureKind.SERVER, None),
        (408, {}, FailureKind.TIMEOUT, None),
        (504, {}, FailureKind.TIMEOUT, None),
    ],
)
def test_classify_error(
    fmt: str, status: int, headers: dict[str, str], kind: FailureKind, retry_after: float | None
) -> None:
    body = orjson.dumps({"error": {"message": f"upstream said {status}"}})
    failure = adapter(fmt).classify_error(status, headers, body)
    assert failure.kind is kind
    assert failure.status == status
    assert failure.message == f"upstream said {status}"
    if retry_after is not None:
        assert failure.retry_after_s == retry_after

"""The embeddings wire adapters, pure: request shapes, answer parsing, base64 handling."""

from __future__ import annotations

import base64
import dataclasses
from array import array

import orjson
import pytest

from gate_service.domain.embeddings import EmbeddingRequest, vector_base64, vector_floats
from gate_service.providers.base import FailureKind, UpstreamFailure
from gate_service.providers.gemini_embeddings import GeminiEmbeddings
from gate_service.providers.openai_embeddings import OpenAIEmbeddings
from tests.providers.support import AUTH_HEADERS, target

OPENAI = OpenAIEmbeddings()
GEMINI = GeminiEmbeddings()
VECTOR = [0.25, -0.5, 0.125]
PACKED = array("f", VECTOR).tobytes()


def test_openai_request_carries_input_format_dimensions_and_extras() -> None:
    req = EmbeddingRequest(
        "agent/embed",
        texts=["a", "b"],
        encoding_format="base64",
        dimensions=256,
        user="u-1",
        extra={"input_type": "query"},
    )
    up = OPENAI.build_request(target("openai", "text-embedding-3-small"), req, 256)
    assert up.url == "https://api.openai.com/v1/embeddings"
    name, value = AUTH_HEADERS["openai"]
    assert up.headers[name] == value
    assert orjson.loads(up.body) == {
        "model": "text-embedding-3-small",
        "input": ["a", "b"],
        "encoding_format": "base64",
        "dimensions": 256,
        "user": "u-1",
        "input_type": "query",
    }


def test_openai_request_unwraps_a_single_input_and_omits_default_dimensions() -> None:
    single = EmbeddingRequest("m", token_arrays=[[1, 2, 3]], single=True, dimensions=1536)
    body = orjson.loads(OPENAI.build_request(target("openai", "m"), single, None).body)
    assert body == {"model": "m", "input": [1, 2, 3], "encoding_format": "float"}
    text = EmbeddingRequest("m", texts=["hi"], single=True)
    assert (
        orjson.loads(OPENAI.build_request(target("openai", "m"), text, None).body)["input"] == "hi"
    )


def test_openai_request_drops_what_the_vendor_rejects() -> None:
    tgt = target("openai", "mistral-embed")
    provider = dataclasses.replace(tgt.provider, rejected_params=("dimensions", "user"))
    tgt = dataclasses.replace(tgt, provider=provider)
    req = EmbeddingRequest("m", texts=["x"], user="u")
    body = orjson.loads(OPENAI.build_request(tgt, req, 64).body)
    assert "dimensions" not in body and "user" not in body


def _openai_answer(items: list[object], usage: object = None) -> bytes:
    data = [{"object": "embedding", "index": i, "embedding": e} for i, e in enumerate(items)]
    body: dict[str, object] = {"object": "list", "data": data, "model": "text-embedding-3-small"}
    if usage is not None:
        body["usage"] = usage
    return orjson.dumps(body)


def test_openai_answer_base64_is_kept_as_its_bytes() -> None:
    b64 = base64.b64encode(PACKED).decode()
    answer = OPENAI.parse_response(
        target("openai", "m"),
        _openai_answer([b64], {"prompt_tokens": 7, "total_tokens": 7}),
        1,
        99,
    )
    assert answer.vectors == [PACKED]
    assert vector_base64(answer.vectors[0]) == b64  # passed through untouched
    assert answer.model == "text-embedding-3-small"
    assert (answer.usage.prompt_tokens, answer.usage.total_tokens) == (7, 7)


def test_openai_answer_floats_and_index_order_and_estimated_usage() -> None:
    body = orjson.dumps(
        {
            "data": [
                {"index": 1, "embedding": [1.0, 2.0]},
                {"index": 0, "embedding": VECTOR},
            ]
        }
    )
    answer = OPENAI.parse_response(target("openai", "m"), body, 2, 12)
    assert vector_floats(answer.vectors[0]) == VECTOR
    assert vector_floats(answer.vectors[1]) == [1.0, 2.0]
    assert answer.model == "m"  # the target's, when the upstream names none
    assert answer.usage.prompt_tokens == 12 and answer.usage.extra == {"estimated": True}


@pytest.mark.parametrize(
    ("body", "count"),
    [
        (b"not json", 1),
        (_openai_answer([VECTOR]), 2),  # fewer vectors than inputs
        (_openai_answer(["!!notbase64"]), 1),
        (_openai_answer(["AAA="]), 1),  # 2 bytes: not float32s
        (_openai_answer([["x"]]), 1),
        (orjson.dumps({"data": [{"index": 0, "embedding": VECTOR}] * 2}), 2),  # index twice
    ],
)
def test_openai_unreadable_answers_are_protocol_failures(body: bytes, count: int) -> None:
    with pytest.raises(UpstreamFailure) as caught:
        OPENAI.parse_response(target("openai", "m"), body, count, 1)
    assert caught.value.kind is FailureKind.PROTOCOL


def test_gemini_request_is_one_batch_with_output_dimensionality() -> None:
    req = EmbeddingRequest("google_ai/gemini-embedding-001", texts=["a", "b"], dimensions=128)
    up = GEMINI.build_request(target("gemini", "gemini-embedding-001"), req, 128)
    assert up.url == (
        "https://generativelanguage.googleapis.com/v1beta/models/"
        "gemini-embedding-001:batchEmbedContents"
    )
    name, value = AUTH_HEADERS["gemini"]
    assert up.headers[name] == value
    item = {"model": "models/gemini-embedding-001", "outputDimensionality": 128}
    assert orjson.loads(up.body) == {
        "requests": [
            {**item, "content": {"parts": [{"text": "a"}]}},
            {**item, "content": {"parts": [{"text": "b"}]}},
        ]
    }


def test_gemini_refuses_token_ids_as_the_clients_fault() -> None:
    req = EmbeddingRequest("m", token_arrays=[[1, 2]])
    with pytest.raises(UpstreamFailure) as caught:
        GEMINI.build_request(target("gemini", "m"), req, None)
    assert caught.value.kind is FailureKind.BAD_REQUEST


def test_gemini_answer_values_and_estimated_usage() -> None:
    body = orjson.dumps({"embeddings": [{"values": VECTOR}, {"values": [0.5]}]})
    answer = GEMINI.parse_response(target("gemini", "gemini-embedding-001"), body, 2, 9)
    assert answer.vectors == [PACKED, array("f", [0.5]).tobytes()]
    assert answer.model == "gemini-embedding-001"
    assert answer.usage.prompt_tokens == 9 and answer.usage.total_tokens == 9
    with pytest.raises(UpstreamFailure):
        GEMINI.parse_response(target("gemini", "m"), body, 3, 9)

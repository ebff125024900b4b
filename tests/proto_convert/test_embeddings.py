"""Embeddings at the gRPC edge: client JSON -> proto -> domain for every ``input`` shape,
the untyped body read strictly in the core, and the answer domain -> proto -> JSON."""

from __future__ import annotations

import base64
from array import array
from typing import Any

import orjson
import pytest

from gate_service.domain import Metadata, RouteAttempt, Usage
from gate_service.domain.embeddings import EmbeddingAnswer
from gate_service.errors import GateError
from gate_service.proto_convert.embeddings import (
    embedding_answer_json,
    embedding_answer_to_proto,
    embedding_request_from_proto,
    embedding_request_to_proto,
)
from spidergate.v1 import embeddings_pb2


@pytest.mark.parametrize(
    ("value", "texts", "tokens", "single"),
    [
        ("one", ["one"], [], True),
        (["a", "b"], ["a", "b"], [], False),
        ([1, 2, 3], [], [[1, 2, 3]], True),
        ([[1], [2, 3]], [], [[1], [2, 3]], False),
    ],
)
def test_input_shapes_round_trip(
    value: Any, texts: list[str], tokens: list[list[int]], single: bool
) -> None:
    body = {"model": "agent/embed", "input": value}
    req = embedding_request_from_proto(embedding_request_to_proto(body))
    assert (req.texts, req.token_arrays, req.single) == (texts, tokens, single)
    assert req.input_json() == value


def test_every_field_and_unknown_keys() -> None:
    body = {
        "model": "m",
        "input": "x",
        "encoding_format": "base64",
        "dimensions": 64,
        "user": "u",
        "spidergate_options": {"fallback_models": ["a"], "cache_enabled": True},
        "input_type": "query",
    }
    req = embedding_request_from_proto(embedding_request_to_proto(body))
    assert (req.encoding_format, req.dimensions, req.user) == ("base64", 64, "u")
    assert req.options.fallback_models == ("a",) and req.options.cache_enabled is True
    assert req.extra == {"input_type": "query"}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": 5}, "input"),
        ({"input": [{"a": 1}]}, "input"),
        ({"input": ["a", 1]}, "input[1]"),
        ({"input": [[1], ["x"]]}, "input[1][0]"),
        ({"dimensions": 1.5}, "dimensions"),
        ({"model": 3}, "model"),
    ],
)
def test_wrong_types_are_named_at_the_bridge_and_in_the_core(
    body: dict[str, Any], param: str
) -> None:
    with pytest.raises(GateError) as at_bridge:
        embedding_request_to_proto(body)
    assert at_bridge.value.param == param
    # Forwarded untyped (as the bridge does), the core reads it with the same code.
    untyped = embeddings_pb2.CreateEmbeddingRequest(extra_json=orjson.dumps(body))
    with pytest.raises(GateError) as in_core:
        embedding_request_from_proto(untyped)
    assert in_core.value.param == param


def test_a_body_that_is_not_an_object_is_a_400() -> None:
    with pytest.raises(GateError) as caught:
        embedding_request_from_proto(embeddings_pb2.CreateEmbeddingRequest(extra_json=b"[1]"))
    assert caught.value.http_status == 400


def test_answer_round_trip_float_and_base64() -> None:
    vectors = [array("f", [0.5, -0.25]).tobytes(), array("f", [1.0, 0.0]).tobytes()]
    answer = EmbeddingAnswer(
        vectors,
        "text-embedding-3-small",
        Usage(prompt_tokens=4, total_tokens=4),
        Metadata(provider="openai", requested_model="agent/embed", cost_usd=1e-6),
        [RouteAttempt("openai", "text-embedding-3-small", "k…y", "success", 200, 1.5)],
    )
    as_float = embedding_answer_json(embedding_answer_to_proto(answer, "float", {}))
    assert as_float["object"] == "list" and as_float["model"] == "text-embedding-3-small"
    assert as_float["data"] == [
        {"object": "embedding", "index": 0, "embedding": [0.5, -0.25]},
        {"object": "embedding", "index": 1, "embedding": [1.0, 0.0]},
    ]
    assert as_float["usage"] == {"prompt_tokens": 4, "total_tokens": 4}
    assert as_float["spidergate_metadata"]["requested_model"] == "agent/embed"
    assert as_float["route_trace"][0]["outcome"] == "success"
    as_b64 = embedding_answer_json(embedding_answer_to_proto(answer, "base64", {"X": "1"}))
    assert [base64.b64decode(d["embedding"]) for d in as_b64["data"]] == vectors

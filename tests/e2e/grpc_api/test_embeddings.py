"""EmbeddingsService through the generated Python stub, over a real HTTP/2 channel to the
core: typed vectors (float32 bytes), token-id input, extra JSON, and the rich error
status (401 before 400, the 400 naming the param)."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator

import grpc
import pytest

from spidergate.v1 import embeddings_pb2, embeddings_pb2_grpc
from tests.e2e.grpc_api.support import TIMEOUT, bearer, rich_error
from tests.stack import Stack


@pytest.fixture(scope="module")
def embeddings(stack: Stack) -> Iterator[embeddings_pb2_grpc.EmbeddingsServiceStub]:
    ch = grpc.insecure_channel(stack.grpc_target)
    grpc.channel_ready_future(ch).result(timeout=TIMEOUT)
    yield embeddings_pb2_grpc.EmbeddingsServiceStub(ch)
    ch.close()


def _floats(vector: bytes) -> list[float]:
    out = array("f")
    out.frombytes(vector)
    return out.tolist()


def test_create_embedding_is_typed(
    embeddings: embeddings_pb2_grpc.EmbeddingsServiceStub, token: str, stack: Stack
) -> None:
    req = embeddings_pb2.CreateEmbeddingRequest(
        model="agent/embed", texts=["one", "two"], encoding_format="base64"
    )
    reply = embeddings.CreateEmbedding(req, metadata=bearer(token), timeout=TIMEOUT)
    assert reply.model == "text-embedding-3-small"
    assert len(reply.vectors) == 2 and all(len(v) == 1536 * 4 for v in reply.vectors)
    assert all(abs(math.sqrt(sum(x * x for x in _floats(v))) - 1) < 1e-5 for v in reply.vectors)
    assert reply.encoding_format == "base64"
    assert reply.usage.prompt_tokens > 0 and reply.usage.total_tokens == reply.usage.prompt_tokens
    assert reply.spidergate_metadata.provider == "openai"
    assert reply.spidergate_metadata.requested_model == "agent/embed"
    sent = stack.mock.state.records[-1].body
    assert sent["input"] == ["one", "two"] and sent["encoding_format"] == "base64"


def test_token_arrays_and_extra_json_reach_the_provider(
    embeddings: embeddings_pb2_grpc.EmbeddingsServiceStub, token: str, stack: Stack
) -> None:
    req = embeddings_pb2.CreateEmbeddingRequest(
        model="openai/text-embedding-3-small",
        token_arrays=[embeddings_pb2.TokenArray(tokens=[5, 6, 7])],
        single=True,
        extra_json=b'{"input_type": "query"}',
    )
    reply = embeddings.CreateEmbedding(req, metadata=bearer(token), timeout=TIMEOUT)
    assert len(reply.vectors) == 1 and reply.usage.prompt_tokens == 3
    sent = stack.mock.state.records[-1].body
    assert sent["input"] == [5, 6, 7] and sent["input_type"] == "query"


def test_errors_are_rich_and_401_comes_first(
    embeddings: embeddings_pb2_grpc.EmbeddingsServiceStub, token: str
) -> None:
    empty = embeddings_pb2.CreateEmbeddingRequest(model="agent/embed")
    with pytest.raises(grpc.RpcError) as caught:
        embeddings.CreateEmbedding(empty, timeout=TIMEOUT)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as caught:
        embeddings.CreateEmbedding(empty, metadata=bearer(token), timeout=TIMEOUT)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    detail, _ = rich_error(caught.value)
    assert (detail.http_status, detail.param) == (400, "input")
    # A body typed wrongly, sent untyped in extra_json: read strictly, named.
    untyped = embeddings_pb2.CreateEmbeddingRequest(extra_json=b'{"model": "x", "input": 5}')
    with pytest.raises(grpc.RpcError) as caught:
        embeddings.CreateEmbedding(untyped, metadata=bearer(token), timeout=TIMEOUT)
    detail, _ = rich_error(caught.value)
    assert detail.param == "input"

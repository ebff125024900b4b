"""``POST /embeddings`` through the official openai SDK, LangChain and LiteLLM, over the
real bridge, core and mock provider."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import httpx
import pytest
from openai import OpenAI

from tests.stack import Stack

TEXTS = ["the quick brown fox", "jumps over", "the lazy dog"]


@pytest.fixture(scope="module")
def client(stack: Stack, token: str) -> OpenAI:
    return OpenAI(base_url=stack.base_url, api_key=token, max_retries=0)


def _norm(vector: Sequence[float]) -> float:
    return math.sqrt(sum(v * v for v in vector))


def test_float_vectors_are_typed_unit_and_deterministic(client: OpenAI) -> None:
    resp = client.embeddings.create(model="agent/embed", input=TEXTS, encoding_format="float")
    assert resp.object == "list"
    assert resp.model == "text-embedding-3-small"  # the served model, never the alias
    assert [d.index for d in resp.data] == [0, 1, 2]
    assert all(d.object == "embedding" and len(d.embedding) == 1536 for d in resp.data)
    assert all(abs(_norm(d.embedding) - 1) < 1e-5 for d in resp.data)
    assert resp.data[0].embedding != resp.data[1].embedding
    assert resp.usage.prompt_tokens > 0
    assert resp.usage.total_tokens == resp.usage.prompt_tokens
    again = client.embeddings.create(model="agent/embed", input=TEXTS, encoding_format="float")
    assert [d.embedding for d in again.data] == [d.embedding for d in resp.data]
    assert resp.model_extra is not None
    meta = resp.model_extra["spidergate_metadata"]
    assert meta["provider"] == "openai"
    assert meta["requested_model"] == "agent/embed"
    assert meta["cache_hit"] is False and meta["cost_usd"] > 0


def test_base64_default_decodes_to_the_float_answer(client: OpenAI, stack: Stack) -> None:
    # The SDK asks for base64 when no encoding_format is given, and decodes it itself.
    decoded = client.embeddings.create(model="agent/embed", input="hello world")
    floats = client.embeddings.create(
        model="agent/embed", input="hello world", encoding_format="float"
    )
    assert decoded.data[0].embedding == pytest.approx(floats.data[0].embedding, abs=1e-7)
    raw = httpx.post(
        stack.base_url + "/embeddings",
        json={"model": "agent/embed", "input": "hello world", "encoding_format": "base64"},
        headers={"Authorization": f"Bearer {client.api_key}"},
    )
    assert raw.status_code == 200
    item = raw.json()["data"][0]
    assert isinstance(item["embedding"], str) and len(item["embedding"]) == 4 * 1536 * 4 // 3
    assert raw.headers["x-request-id"]


def test_batch_of_100(client: OpenAI) -> None:
    inputs = [f"document number {i}" for i in range(100)]
    resp = client.embeddings.create(model="agent/embed", input=inputs)
    assert [d.index for d in resp.data] == list(range(100))
    assert len({tuple(d.embedding[:8]) for d in resp.data}) == 100
    single = client.embeddings.create(model="agent/embed", input=inputs[42])
    assert resp.data[42].embedding == single.data[0].embedding


def test_token_array_input(client: OpenAI) -> None:
    one = client.embeddings.create(model="agent/embed", input=[1, 2, 3, 4])
    many = client.embeddings.create(model="agent/embed", input=[[1, 2, 3, 4], [5, 6]])
    assert len(one.data) == 1 and len(many.data) == 2
    assert one.data[0].embedding == many.data[0].embedding
    assert many.usage.prompt_tokens == 6


def test_dimensions(client: OpenAI) -> None:
    resp = client.embeddings.create(model="agent/embed-large", input="short", dimensions=256)
    assert resp.model == "text-embedding-3-large"
    assert len(resp.data[0].embedding) == 256
    assert abs(_norm(resp.data[0].embedding) - 1) < 1e-5
    full = client.embeddings.create(model="agent/embed-large", input="short")
    assert len(full.data[0].embedding) == 3072


def test_langchain_openai_embeddings(stack: Stack, token: str) -> None:
    from langchain_openai import OpenAIEmbeddings
    from pydantic import SecretStr

    emb = OpenAIEmbeddings(
        base_url=stack.base_url,
        api_key=SecretStr(token),
        model="agent/embed",
        check_embedding_ctx_length=False,
        max_retries=0,
    )
    docs = emb.embed_documents(TEXTS)
    query = emb.embed_query(TEXTS[1])
    assert len(docs) == 3 and all(len(d) == 1536 for d in docs)
    assert query == pytest.approx(docs[1], abs=1e-7)


def test_litellm_embedding(stack: Stack, token: str) -> None:
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    import litellm

    resp = litellm.embedding(
        model="openai/agent/embed", input=TEXTS, api_base=stack.base_url, api_key=token
    )
    vectors = [item["embedding"] for item in resp.data]
    assert len(vectors) == 3 and all(len(v) == 1536 for v in vectors)
    assert resp.usage is not None and resp.usage.prompt_tokens > 0

"""The mock's embedding endpoints, driven by the official SDKs: ``google-genai``'s
``embed_content`` (``batchEmbedContents``) and the openai SDK's ``embeddings.create``,
so the wire shapes the gateway's adapters are tested against are the real ones."""

from __future__ import annotations

import math

import openai
import pytest
from google import genai
from google.genai import errors, types

from mock_provider import MockState

pytestmark = pytest.mark.filterwarnings(
    "ignore:Inheritance class AiohttpClientSession:DeprecationWarning"
)

MODEL = "gemini-embedding-001"


def _norm(values: list[float]) -> float:
    return math.sqrt(sum(v * v for v in values))


async def test_genai_embed_content_batch(gemini: genai.Client, state: MockState) -> None:
    result = await gemini.aio.models.embed_content(model=MODEL, contents=["one", "two", "one"])
    assert result.embeddings is not None and len(result.embeddings) == 3
    values = [e.values or [] for e in result.embeddings]
    assert all(len(v) == 3072 for v in values)
    assert all(abs(_norm(v) - 1) < 1e-9 for v in values)
    assert values[0] == values[2] and values[0] != values[1]
    record = state.records[-1]
    assert record.path.endswith(f"/models/{MODEL}:batchEmbedContents")


async def test_genai_output_dimensionality(gemini: genai.Client) -> None:
    config = types.EmbedContentConfig(output_dimensionality=128)
    result = await gemini.aio.models.embed_content(model=MODEL, contents="short", config=config)
    assert result.embeddings is not None
    assert len(result.embeddings[0].values or []) == 128
    too_long = types.EmbedContentConfig(output_dimensionality=4096)
    with pytest.raises(errors.ClientError) as caught:
        await gemini.aio.models.embed_content(model=MODEL, contents="x", config=too_long)
    assert caught.value.code == 400


async def test_genai_scripted_429(gemini: genai.Client, state: MockState) -> None:
    state.add_fault({"status": 429, "times": 1, "match": {"format": "gemini", "model": MODEL}})
    with pytest.raises(errors.ClientError) as caught:
        await gemini.aio.models.embed_content(model=MODEL, contents="x")
    assert caught.value.code == 429 and caught.value.status == "RESOURCE_EXHAUSTED"
    ok = await gemini.aio.models.embed_content(model=MODEL, contents="x")
    assert ok.embeddings


async def test_openai_sdk_float_base64_and_usage(client: openai.AsyncOpenAI) -> None:
    floats = await client.embeddings.create(
        model="text-embedding-3-small", input=["a b c d", "e"], encoding_format="float"
    )
    decoded = await client.embeddings.create(model="text-embedding-3-small", input=["a b c d", "e"])
    assert [len(d.embedding) for d in floats.data] == [1536, 1536]
    assert decoded.data[0].embedding == pytest.approx(floats.data[0].embedding, abs=1e-7)
    assert floats.usage.prompt_tokens == 2 + 1
    short = await client.embeddings.create(
        model="text-embedding-3-large", input=[[1, 2, 3]], dimensions=64
    )
    assert len(short.data[0].embedding) == 64 and short.usage.prompt_tokens == 3
    with pytest.raises(openai.BadRequestError):
        await client.embeddings.create(model="text-embedding-3-small", input="x", dimensions=4000)


async def test_openai_faults_apply(client: openai.AsyncOpenAI, state: MockState) -> None:
    state.add_fault({"status": 429, "times": 1, "match": {"model": "text-embedding-3-small"}})
    with pytest.raises(openai.RateLimitError):
        await client.embeddings.create(model="text-embedding-3-small", input="x")
    state.add_fault({"kind": "malformed_sse", "times": 1})
    with pytest.raises(Exception):  # noqa: B017 - a half JSON body, whichever way it breaks
        await client.embeddings.create(model="text-embedding-3-small", input="x")
    ok = await client.embeddings.create(model="text-embedding-3-small", input="x")
    assert len(ok.data) == 1

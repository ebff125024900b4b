"""The mock's Gemini embeddings: ``models/{model}:embedContent`` and
``models/{model}:batchEmbedContents`` (what the google-genai SDK calls).

``embedContent``: ``{"content": {"parts": [{"text"}]}, "outputDimensionality"?}`` →
``{"embedding": {"values": [...]}}``; ``batchEmbedContents``: ``{"requests": [such, each
with its "model"]}`` → ``{"embeddings": [{"values": [...]}]}`` in request order. Gemini
reports no token usage for these. Vectors as the OpenAI endpoint's
(:mod:`mock_provider.formats.embedding_vectors`), so the two formats agree.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from mock_provider.formats.answer import json_answer
from mock_provider.formats.base import Call, Endpoint
from mock_provider.formats.embedding_vectors import dimensions_fit, dimensions_of, vector


def endpoints(fmt: Any, accept: Any) -> list[Endpoint]:
    """The endpoints this module serves for the Gemini format ``fmt``."""
    return [
        Endpoint("gemini.embed_content", "POST", ":embedContent", embed_content, fmt, accept),
        Endpoint(
            "gemini.batch_embed_contents", "POST", ":batchEmbedContents", batch_embed, fmt, accept
        ),
    ]


def _values(model: str, request: Any) -> list[float] | str:
    """One request's vector, or the error message for a malformed one."""
    if not isinstance(request, dict):
        return "Invalid JSON payload: a request must be an object."
    content = request.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list) or not parts:
        return "* BatchEmbedContentsRequest.requests[].content: contents.parts must not be empty."
    text = "".join(p.get("text", "") for p in parts if isinstance(p, dict))
    if not text:
        return "* EmbedContentRequest.content: contents must not be empty."
    dims = request.get("outputDimensionality")
    if not dimensions_fit(model, dims):
        return "* EmbedContentRequest.output_dimensionality: out of range for this model."
    return vector(model.removeprefix("models/"), text, dimensions_of(model, dims))


def _answer(call: Call, body: dict[str, Any]) -> web.StreamResponse:
    return json_answer(call, orjson.dumps(body), {}, "application/json", "UTF-8")


async def embed_content(call: Call) -> web.StreamResponse:
    from mock_provider.formats.gemini import GEMINI

    values = _values(call.model or "", call.body)
    if isinstance(values, str):
        return GEMINI.error(400, values)
    return _answer(call, {"embedding": {"values": values}})


async def batch_embed(call: Call) -> web.StreamResponse:
    from mock_provider.formats.gemini import GEMINI

    requests = call.body.get("requests") if isinstance(call.body, dict) else None
    if not isinstance(requests, list) or not requests:
        return GEMINI.error(400, "* BatchEmbedContentsRequest.requests: must not be empty.")
    embeddings = []
    for request in requests:
        model = request.get("model") if isinstance(request, dict) else None
        values = _values(model if isinstance(model, str) else call.model or "", request)
        if isinstance(values, str):
            return GEMINI.error(400, values)
        embeddings.append({"values": values})
    return _answer(call, {"embeddings": embeddings})

"""The mock's OpenAI ``POST <prefix>/embeddings``.

Answers as api.openai.com does: ``{"object": "list", "data": [{"object": "embedding",
"index", "embedding"}], "model", "usage": {"prompt_tokens", "total_tokens"}}``, the
vectors as float lists or, with ``encoding_format: base64``, as base64 float32. Vectors
come from :mod:`mock_provider.formats.embedding_vectors` (deterministic, unit length, the
model's dimension or ``dimensions``). Faults act as on chat: ``error``, ``delay_ms`` and
``reset`` before the handler, ``stream_cut`` / ``malformed_sse`` on the answer
(:func:`~mock_provider.formats.answer.json_answer`).
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from aiohttp import web

from mock_provider.formats.answer import json_answer
from mock_provider.formats.base import Call, Endpoint
from mock_provider.formats.embedding_vectors import (
    dimensions_fit,
    dimensions_of,
    token_count,
    vector,
    vector_bytes,
)


def endpoints(fmt: Any) -> list[Endpoint]:
    """The endpoints this module serves for the OpenAI format ``fmt``."""
    return [Endpoint("openai.embeddings", "POST", "/embeddings", embeddings, fmt)]


def _inputs(value: Any) -> list[str | list[int]] | None:
    """The inputs of ``input`` (a string, strings, token ids or lists of them), or None."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not value:
        return None
    if all(isinstance(v, str) and v for v in value):
        return list(value)
    if all(type(v) is int for v in value):
        return [value]
    if all(isinstance(v, list) and v and all(type(t) is int for t in v) for v in value):
        return list(value)
    return None


async def embeddings(call: Call) -> web.StreamResponse:
    from mock_provider.formats.openai import OPENAI, response_headers

    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return OPENAI.error(400, "you must provide a model parameter", param="model")
    inputs = _inputs(body.get("input"))
    if inputs is None or len(inputs) > 2048:
        return OPENAI.error(400, "'input' is invalid", param="input")
    fmt = body.get("encoding_format") or "float"
    dims = body.get("dimensions")
    model = body["model"]
    if fmt not in ("float", "base64"):
        return OPENAI.error(400, "'encoding_format' is invalid", param="encoding_format")
    if not dimensions_fit(model, dims):
        message = "This model does not support these dimensions."
        return OPENAI.error(400, message, param="dimensions")
    size = dimensions_of(model, dims)
    data = []
    for index, item in enumerate(inputs):
        values = vector(model, item, size)
        encoded: Any = (
            base64.b64encode(vector_bytes(values)).decode() if fmt == "base64" else values
        )
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(token_count(item) for item in inputs)
    answer = {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return json_answer(call, orjson.dumps(answer), response_headers(f"emb{id(call):x}"))

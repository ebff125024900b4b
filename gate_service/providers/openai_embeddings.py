"""The OpenAI-compatible ``/embeddings`` wire format: OpenAI, Mistral, Together, NVIDIA
NIM, Cohere's compatibility API, Ollama and vLLM all speak it.

Pure translation, as the chat adapters are: the upstream request from the domain request
and the answer into vectors. The client's ``encoding_format`` is passed on, so a base64
answer (the openai SDK's default) arrives as base64 text and only has to be decoded into
the vector bytes; an upstream that ignores it and sends floats is read too (each item is
read by its own type). Errors are classified by the format's chat adapter
(``classify_error``), the same rules as chat.
"""

from __future__ import annotations

from typing import Any

import orjson

from gate_service.domain import Usage
from gate_service.domain.embeddings import (
    EmbeddingAnswer,
    EmbeddingRequest,
    base64_vector,
    floats_to_vector,
)
from gate_service.providers.base import FailureKind, Json, Target, UpstreamFailure, UpstreamRequest
from gate_service.providers.openai_compat import auth_headers


def protocol_error(message: str) -> UpstreamFailure:
    """An answer we could not read: the next key or candidate may do better."""
    return UpstreamFailure(FailureKind.PROTOCOL, 502, message)


def usage_of(value: Any, estimate: int) -> Usage:
    """OpenAI's embeddings usage (``prompt_tokens``, ``total_tokens``), or ``estimate``
    when the upstream sent none (the account is billed for the prompt either way)."""
    if isinstance(value, dict):
        prompt = value.get("prompt_tokens")
        if type(prompt) is int and prompt >= 0:
            total = value.get("total_tokens")
            return Usage(prompt_tokens=prompt, total_tokens=total if type(total) is int else prompt)
    return Usage(prompt_tokens=estimate, total_tokens=estimate, extra={"estimated": True})


def read_vector(value: Any) -> bytes:
    """One ``embedding``: base64 text or a list of numbers, as float32 bytes."""
    if isinstance(value, str):
        try:
            return base64_vector(value)
        except ValueError:
            raise protocol_error("upstream embedding is not valid base64") from None
    if isinstance(value, list):
        try:
            return floats_to_vector(value)
        except TypeError:
            raise protocol_error("upstream embedding holds a non-number") from None
    raise protocol_error("upstream embedding is neither a list nor base64")


class OpenAIEmbeddings:
    """Adapter for OpenAI's embeddings request and answer."""

    name = "openai"

    def build_request(
        self, target: Target, request: EmbeddingRequest, dimensions: int | None
    ) -> UpstreamRequest:
        """``dimensions`` is the request's, or None when it asks for the model's default
        length (then it is not sent: not every vendor takes the parameter)."""
        body: Json = {**request.extra, "model": target.model, "input": request.input_json()}
        body["encoding_format"] = request.encoding_format
        if dimensions is not None:
            body["dimensions"] = dimensions
        if request.user:
            body["user"] = request.user
        for name in target.provider.rejected_params:
            body.pop(name, None)
        return UpstreamRequest(
            url=target.base_url.rstrip("/") + "/embeddings",
            headers=auth_headers(target),
            body=orjson.dumps(body),
        )

    def parse_response(
        self, target: Target, body: bytes, count: int, estimate: int
    ) -> EmbeddingAnswer:
        """The ``count`` vectors in input order (each item's ``index`` places it), the
        upstream's model and its usage (``estimate`` when it reports none)."""
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise protocol_error("malformed upstream answer") from None
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list) or len(items) != count:
            raise protocol_error(f"upstream answer does not hold {count} embeddings")
        vectors: list[bytes | None] = [None] * count
        for position, item in enumerate(items):
            if not isinstance(item, dict):
                raise protocol_error("upstream embedding item is not an object")
            index = item.get("index", position)
            if type(index) is not int or not 0 <= index < count or vectors[index] is not None:
                raise protocol_error("upstream embedding indexes do not match the input")
            vectors[index] = read_vector(item.get("embedding"))
        model = data.get("model")
        return EmbeddingAnswer(
            vectors=[v for v in vectors if v is not None],
            model=model if isinstance(model, str) and model else target.model,
            usage=usage_of(data.get("usage"), estimate),
        )

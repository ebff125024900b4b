"""The Gemini embeddings wire format: ``models/{model}:batchEmbedContents``.

One request embeds the whole batch: ``{"requests": [{"model": "models/<m>", "content":
{"parts": [{"text": ...}]}, "outputDimensionality": n}]}`` answered by ``{"embeddings":
[{"values": [...]}]}`` in input order. Gemini reports no token usage for embeddings, so
the prompt is estimated (the account is billed by Google's own count, which we cannot
see). Token-id input has no Gemini form: a 400 for the client (it is the request, not the
key, that cannot be served). Errors are classified by the Gemini chat adapter's rules.
"""

from __future__ import annotations

from urllib.parse import quote

import orjson

from gate_service.domain import Usage
from gate_service.domain.embeddings import EmbeddingAnswer, EmbeddingRequest, floats_to_vector
from gate_service.providers.base import FailureKind, Json, Target, UpstreamFailure, UpstreamRequest
from gate_service.providers.openai_compat import auth_headers
from gate_service.providers.openai_embeddings import protocol_error


class GeminiEmbeddings:
    """Adapter for Gemini's ``batchEmbedContents``."""

    name = "gemini"

    def build_request(
        self, target: Target, request: EmbeddingRequest, dimensions: int | None
    ) -> UpstreamRequest:
        if request.token_arrays:
            raise UpstreamFailure(
                FailureKind.BAD_REQUEST, 400, "this model takes text input, not token ids"
            )
        model = target.model.removeprefix("models/")
        name = f"models/{model}"
        requests: list[Json] = []
        for text in request.texts:
            item: Json = {"model": name, "content": {"parts": [{"text": text}]}}
            if dimensions is not None:
                item["outputDimensionality"] = dimensions
            requests.append(item)
        return UpstreamRequest(
            url=f"{target.base_url.rstrip('/')}/models/{quote(model, safe='')}:batchEmbedContents",
            headers=auth_headers(target),
            body=orjson.dumps({"requests": requests}),
        )

    def parse_response(
        self, target: Target, body: bytes, count: int, estimate: int
    ) -> EmbeddingAnswer:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise protocol_error("malformed upstream answer") from None
        items = data.get("embeddings") if isinstance(data, dict) else None
        if not isinstance(items, list) or len(items) != count:
            raise protocol_error(f"upstream answer does not hold {count} embeddings")
        vectors: list[bytes] = []
        for item in items:
            values = item.get("values") if isinstance(item, dict) else None
            if not isinstance(values, list):
                raise protocol_error("upstream embedding has no values")
            try:
                vectors.append(floats_to_vector(values))
            except TypeError:
                raise protocol_error("upstream embedding holds a non-number") from None
        usage = Usage(prompt_tokens=estimate, total_tokens=estimate, extra={"estimated": True})
        return EmbeddingAnswer(vectors=vectors, model=target.model, usage=usage)

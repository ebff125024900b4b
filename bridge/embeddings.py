"""``POST /embeddings``: OpenAI's embeddings request and answer.

The answer is written here from the core's vectors (float32 bytes): as base64 text when
the client asked for ``encoding_format: base64`` (the openai SDK's default: the bytes
are encoded once, no float is made), else as float lists. A body the bridge cannot type
goes to the core whole, which answers after authentication (401 first; then a 400
naming the parameter, with the token's ``X-RateLimit-*``). An answer larger than
``json_offload_bytes`` of vectors is written in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge import responses
from bridge.body import read_json
from bridge.core_client import CoreClient
from bridge.openapi_operations import Op
from bridge.openapi_views import array, const, obj
from bridge.proto_schema import Schema, View, request_view, value_range
from gate_service.chat import validation as chat_rules
from gate_service.domain.embeddings import ENCODING_FORMATS
from gate_service.embeddings.validation import MAX_DIMENSIONS, MAX_INPUTS
from gate_service.offload import sized
from gate_service.proto_convert.embeddings import (
    embedding_answer_json,
    embedding_request_to_proto,
)
from spidergate.v1 import common_pb2, embeddings_pb2


def _untyped(raw: bytes) -> embeddings_pb2.CreateEmbeddingRequest:
    """A body that could not be typed, forwarded whole for the core to refuse."""
    return embeddings_pb2.CreateEmbeddingRequest(extra_json=raw)


async def create_embeddings(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    embed = await read_json(request, embedding_request_to_proto, _untyped)
    embed.include_route_trace = request.query_params.get("include_route_trace", "").lower() in (
        "1",
        "true",
    )
    reply = await core.embeddings.CreateEmbedding(embed, metadata=responses.call_metadata(request))
    # A large answer is written off the event loop: 2,048 vectors of 1,536 floats take
    # 250 ms as float JSON (33 ms as base64), which would stall every other request.
    size = sum(len(vector) for vector in reply.vectors)
    limit = request.app.state.settings.json_offload_bytes
    body = await sized(size, limit, _render, reply)
    headers = {**reply.headers, responses.REQUEST_ID: responses.request_id(request)}
    return Response(body, media_type="application/json", headers=headers)


def _render(reply: embeddings_pb2.CreateEmbeddingResponse) -> bytes:
    return orjson.dumps(embedding_answer_json(reply))


ROUTES = [
    Route("/embeddings", create_embeddings, methods=["POST"]),
]


# ------------------------------------------------------------------ OpenAPI

_ERRORS = (
    *("budget_exceeded", "model_not_allowed", "model_not_found", "no_qualifying_model"),
    *("rate_limit_exceeded", "daily_rate_limit_exceeded", "upstream_error"),
    *("all_providers_failed", "service_unavailable", "no_openai_key", "upstream_timeout"),
)
_DESCRIPTION = (
    "OpenAI's embeddings request; `model` is an embedding model id, a provider-qualified "
    "id or an alias (`agent/embed`, `agent/embed-small`, `agent/embed-large`). `input` is "
    f"a string, or up to {MAX_INPUTS} strings, or token ids (an array of them, or arrays "
    "of arrays). Unknown keys are passed on to the provider."
)


def _request() -> View:
    token_ids = array({"type": "integer", "minimum": 0}, minItems=1)
    text = {"type": "string", "minLength": 1}
    return request_view(
        embeddings_pb2.CreateEmbeddingRequest,
        omit=frozenset({"texts", "token_arrays", "single", "include_route_trace"}),
        add={
            "input": {
                "anyOf": [
                    text,
                    array(text, minItems=1, maxItems=MAX_INPUTS),
                    token_ids,
                    array(token_ids, minItems=1, maxItems=MAX_INPUTS),
                ]
            }
        },
        fields={
            "spidergate_options": request_view(
                common_pb2.SpidergateOptions,
                limits={k: value_range(*r) for k, r in chat_rules.OPTION_RANGES.items()},
            ),
        },
        limits={
            "model": {"minLength": 1, "examples": ["agent/embed", "text-embedding-3-small"]},
            "encoding_format": {"enum": list(ENCODING_FORMATS)},
            "dimensions": {"minimum": 1, "maximum": MAX_DIMENSIONS},
        },
        required=("model", "input"),
    )


def _answer() -> Schema:
    vector = {
        "anyOf": [
            array({"type": "number"}),
            {"type": "string", "description": "float32 little-endian, base64"},
        ]
    }
    item = obj({"object": const("embedding"), "index": {"type": "integer"}, "embedding": vector})
    usage = obj({"prompt_tokens": {"type": "integer"}, "total_tokens": {"type": "integer"}})
    return {
        **obj(
            {
                "object": const("list"),
                "data": array(item),
                "model": {"type": "string"},
                "usage": usage,
            }
        ),
        "additionalProperties": True,
    }


def OPERATIONS() -> dict[Callable[..., Any], Op]:
    return {
        create_embeddings: Op(
            "Create embeddings (float lists, or base64 float32)",
            "embeddings",
            _answer(),
            scope="gate:chat",
            body=_request(),
            errors=_ERRORS,
            description=_DESCRIPTION,
        )
    }

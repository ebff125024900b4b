"""Embeddings at the gRPC edge: client JSON -> proto (the bridge), proto -> the domain
request (the core, once, after authentication), the domain answer -> proto (the core)
and proto -> OpenAI's JSON (the bridge).

``input`` is a string, a list of strings, a list of token ids or a list of lists of
them; the bridge types it into ``texts`` or ``token_arrays`` (and ``single``). A body it
cannot type goes to the core whole in ``extra_json`` (:func:`bridge.body.read_json`'s
``forward``), and the core reads it with the same strict code, raising the 400 naming
the parameter after authentication.
"""

from __future__ import annotations

from typing import Any

import orjson

from gate_service.chat.validation import DEFAULT_MAX_DEPTH, check_nested
from gate_service.domain import RouteAttempt, SpidergateOptions
from gate_service.domain.embeddings import (
    EmbeddingAnswer,
    EmbeddingRequest,
    vector_base64,
    vector_floats,
)
from gate_service.domain.openai_answer import attempt_json, metadata_json
from gate_service.errors import invalid
from gate_service.proto_convert.completion import usage_to_proto
from gate_service.proto_convert.jsonvalues import (
    as_int,
    as_int32,
    as_list,
    as_str,
    dump_extra,
    load_extra,
)
from gate_service.proto_convert.request import Reader, options_to_domain
from gate_service.proto_convert.request_json import options_to_proto
from spidergate.v1 import common_pb2, embeddings_pb2

REQUEST_KEYS = frozenset(
    {"model", "input", "encoding_format", "dimensions", "user", "spidergate_options"}
)


# ------------------------------------------------------------------ JSON -> proto


def _input_to_proto(value: Any, out: embeddings_pb2.CreateEmbeddingRequest) -> None:
    """``input`` into ``texts`` / ``token_arrays``; any other shape is a 400 on ``input``."""
    if isinstance(value, str):
        out.texts.append(value)
        out.single = True
        return
    items = as_list(value, "input")
    if not items:
        return  # empty: the core's validation names it
    first = items[0]
    if isinstance(first, str):
        out.texts.extend(as_str(s, f"input[{i}]") for i, s in enumerate(items))
    elif isinstance(first, list):
        for i, tokens in enumerate(items):
            ids = as_list(tokens, f"input[{i}]")
            out.token_arrays.add(tokens=[as_int(t, f"input[{i}][{j}]") for j, t in enumerate(ids)])
    elif isinstance(first, int | float) and not isinstance(first, bool):
        out.token_arrays.add(tokens=[as_int(t, f"input[{j}]") for j, t in enumerate(items)])
        out.single = True
    else:
        raise invalid(
            "'input' must be a string, an array of strings, or an array of token ids "
            "(or of arrays of them)",
            "input",
        )


def embedding_request_to_proto(body: dict[str, Any]) -> embeddings_pb2.CreateEmbeddingRequest:
    """Client JSON -> proto, rejecting wrongly typed values with a 400 naming the param."""
    out = embeddings_pb2.CreateEmbeddingRequest(extra_json=dump_extra(body, REQUEST_KEYS))
    if (model := body.get("model")) is not None:
        out.model = as_str(model, "model")
    if (value := body.get("input")) is not None:
        _input_to_proto(value, out)
    if (fmt := body.get("encoding_format")) is not None:
        out.encoding_format = as_str(fmt, "encoding_format")
    if (dims := body.get("dimensions")) is not None:
        out.dimensions = as_int32(dims, "dimensions")
    if (user := body.get("user")) is not None:
        out.user = as_str(user, "user")
    if (options := body.get("spidergate_options")) is not None:
        out.spidergate_options.CopyFrom(options_to_proto(options))
    return out


# ------------------------------------------------------------------ proto -> domain


def embedding_request_from_proto(
    req: embeddings_pb2.CreateEmbeddingRequest, max_depth: int = DEFAULT_MAX_DEPTH
) -> EmbeddingRequest:
    """Proto -> the domain request, once per request, in the core (400 for a body that
    is not a JSON object or types wrongly)."""
    read = Reader(max_depth)
    try:
        extra = _top_extra(req.extra_json, max_depth)
    except orjson.JSONDecodeError:
        raise invalid("The request is not valid JSON (its body, or extra_json).") from None
    if extra.keys() & REQUEST_KEYS:
        # Fields we model, arrived untyped: read them strictly now (the 400 names them).
        typed = embedding_request_to_proto(extra)
        merged = embeddings_pb2.CreateEmbeddingRequest()
        merged.CopyFrom(req)
        for descriptor, _ in typed.ListFields():
            merged.ClearField(descriptor.name)
        merged.MergeFrom(typed)
        req, extra = merged, {k: v for k, v in extra.items() if k not in REQUEST_KEYS}
    h = req.HasField
    try:
        options = (
            options_to_domain(req.spidergate_options, read)
            if h("spidergate_options")
            else SpidergateOptions()
        )
    except orjson.JSONDecodeError:
        raise invalid("'spidergate_options' carries invalid JSON", "spidergate_options") from None
    return EmbeddingRequest(
        model=req.model,
        texts=list(req.texts),
        token_arrays=[list(t.tokens) for t in req.token_arrays],
        single=req.single,
        encoding_format=req.encoding_format or "float",
        dimensions=req.dimensions if h("dimensions") else None,
        user=req.user or None,
        options=options,
        include_route_trace=req.include_route_trace,
        extra=extra,
    )


def _top_extra(raw: bytes, max_depth: int) -> dict[str, Any]:
    if not raw:
        return {}
    value = orjson.loads(raw)
    if not isinstance(value, dict):
        raise invalid("The request body must be a JSON object.")
    if value:
        check_nested(value, max_depth, 1, ())
    return value


# ------------------------------------------------------------------ the answer


def embedding_answer_to_proto(
    answer: EmbeddingAnswer, encoding_format: str, headers: dict[str, str]
) -> embeddings_pb2.CreateEmbeddingResponse:
    """The domain answer -> proto; ``headers`` are the HTTP surface's response headers."""
    out = embeddings_pb2.CreateEmbeddingResponse(
        vectors=answer.vectors,
        model=answer.model,
        usage=usage_to_proto(answer.usage),
        headers=headers,
        encoding_format=encoding_format,
    )
    if (m := answer.metadata) is not None:
        out.spidergate_metadata.CopyFrom(
            common_pb2.SpidergateMetadata(
                provider=m.provider,
                provider_model=m.provider_model,
                latency_ms=m.latency_ms,
                cost_usd=m.cost_usd,
                cache_hit=m.cache_hit,
                fallback_used=m.fallback_used,
                original_model=m.original_model,
                requested_model=m.requested_model,
                request_id=m.request_id,
            )
        )
    out.route_trace.extend(_attempt(a) for a in answer.route_trace)
    return out


def _attempt(a: RouteAttempt) -> common_pb2.RouteAttempt:
    return common_pb2.RouteAttempt(
        provider=a.provider,
        model=a.model,
        key=a.key,
        outcome=a.outcome,
        status=a.status,
        latency_ms=a.latency_ms,
        error_code=a.error_code,
        error_message=a.error_message,
    )


def embedding_answer_json(reply: embeddings_pb2.CreateEmbeddingResponse) -> dict[str, Any]:
    """Proto -> OpenAI's embeddings list JSON: floats made here, only when asked for."""
    encode = vector_base64 if reply.encoding_format == "base64" else vector_floats
    out: dict[str, Any] = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": encode(vector)}
            for i, vector in enumerate(reply.vectors)
        ],
        "model": reply.model,
        "usage": {
            "prompt_tokens": reply.usage.prompt_tokens,
            "total_tokens": reply.usage.total_tokens,
        },
    }
    if reply.HasField("spidergate_metadata"):
        m = reply.spidergate_metadata
        out["spidergate_metadata"] = metadata_json(m, load_extra(m.extra_json))
    if reply.route_trace:
        out["route_trace"] = [attempt_json(a) for a in reply.route_trace]
    return out

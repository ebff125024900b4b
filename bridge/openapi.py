"""The OpenAPI 3.1 document of the REST surface, served at ``/openapi.json``.

Generated at the first request, never edited by hand:

- **Paths and methods** are walked from the app's own Starlette routes, so a new route
  appears by itself. Each endpoint has one entry in :func:`_operations` (summary, who may
  call it, which proto messages back its query, body and answer, the error codes it can
  give); a route without one is still listed, marked ``x-undocumented``, and a test fails.
- **Shapes** are read off the proto descriptors of the messages the handlers convert
  (:mod:`bridge.proto_schema`); a view states only where a converter's JSON departs from
  its message. **Ranges** are the validators' own tables (``chat/validation.py``,
  ``catalog/query.py``, ``ledger/views.py``, ``vault/validation.py``).
- **Errors** come from the catalogue in ``gate_service/errors.py``: an operation names the
  reason codes it can answer; their statuses, ``type`` and the envelope follow.

Paths are relative to the two prefixes, given as ``servers`` (``/api/gate/v1``, the
canonical one, then ``/v1``): both serve the very same routes, so listing every path twice
would duplicate each operation (and its ``operationId``) for no information, and a client
picks its base URL as it does with the OpenAI SDKs. Outside the prefixes are ``/metrics``
(Prometheus text, not part of the API) and ``/openapi.json`` itself; any other root route
is flagged, like an undescribed one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

import gate_service
from bridge import catalog, chat, usage, vault
from bridge.proto_schema import (
    Schema,
    Shapes,
    View,
    field_schema,
    not_null,
    nullable,
    request_view,
    value_range,
)
from bridge.responses import REQUEST_ID, request_id
from gate_service.catalog.query import DEFAULT_LIMIT, MAX_LIMIT
from gate_service.chat import validation as chat_rules
from gate_service.errors import CATALOGUE
from gate_service.ledger.views import DEFAULT_TRACE_LIMIT, MAX_TRACE_LIMIT
from gate_service.vault.validation import MAX_PRIORITY, MAX_REQUEST_LIMIT, MAX_SPEND_USD
from spidergate.v1 import catalog_pb2, common_pb2, usage_pb2, vault_pb2

# Routes served outside the API prefixes, and why they are not operations of the document.
ROOT_ROUTES = {
    "/metrics": "Prometheus metrics in the text exposition format, for scrapers.",
    "/openapi.json": "This document, also served under each prefix.",
}
# A code the catalogue maps to one status that is also answered with another.
ALSO_STATUS = {"all_providers_failed": (503,)}
_CONVERTOR = re.compile(r"\{(\w+):\w+\}")  # Starlette's {model_id:path} -> {model_id}
_STRING: Schema = {"type": "string"}
_TIME: Schema = {"type": "string", "format": "date-time"}


def _const(value: str) -> Schema:
    return {"type": "string", "const": value}


def _obj(props: dict[str, Schema]) -> Schema:
    return {"type": "object", "properties": props, "required": list(props)}


def _array(items: Any, **kw: Any) -> Schema:
    return {"type": "array", "items": items, **kw}


# ---------------------------------------------------------------- chat


def tool_call() -> View:
    """A tool call, in a request's assistant message and in an answer alike."""
    c = common_pb2
    return request_view(c.ToolCall, fields={"function": request_view(c.FunctionCall)})


def chat_request() -> View:
    """What ``proto_convert/request.py`` reads (null is "not given", except where it reads a
    default), with the ranges and words of ``chat/validation.py``."""
    c, rules = common_pb2, chat_rules
    image = request_view(c.ImageUrl, not_null=frozenset({"url"}))
    part = request_view(
        c.ContentPart,
        fields={"image_url": image},
        limits={"type": {"enum": sorted(rules._PART_TYPES)}},
        required=("type",),
    )
    message = request_view(
        c.ChatMessage,
        fields={
            "content": {"anyOf": [_STRING, _array(part)]},
            "tool_calls": _array(tool_call()),
        },
        limits={"role": {"enum": sorted(rules.ROLES)}},
        required=("role",),
    )
    function = request_view(
        c.FunctionDefinition,
        fields={"parameters": {"type": "object", "description": "JSON Schema of the arguments"}},
        required=("name",),
    )
    named = '{"type": "function", "function": {"name": ...}}, or any other form, passed on'
    return request_view(
        c.ChatCompletionRequest,
        omit=frozenset({"include_route_trace"}),  # a query parameter over REST
        fields={
            "messages": _array(message, minItems=1),
            "stop": {"anyOf": [_STRING, _array(_STRING, maxItems=4)]},
            "tools": _array(
                request_view(c.Tool, fields={"function": function}, not_null=frozenset({"type"}))
            ),
            "tool_choice": {
                "anyOf": [
                    {"type": "string", "enum": sorted(rules._TOOL_MODES)},
                    {"type": "object", "description": named},
                ]
            },
            "response_format": request_view(
                c.ResponseFormat,
                fields={"json_schema": {"type": "object"}},
                limits={"type": {"enum": sorted(rules._FORMATS)}},
                required=("type",),
            ),
            "spidergate_options": request_view(
                c.SpidergateOptions,
                limits={k: value_range(*r) for k, r in rules._OPTION_RANGES.items()},
            ),
            "stream_options": request_view(c.StreamOptions),
        },
        limits={
            **{k: value_range(*r) for k, r in rules._RANGES.items()},
            "model": {"minLength": 1, "examples": ["spideriq/coding", "llama-3.1-8b-instant"]},
        },
        required=("model", "messages"),
    )


def _usage_counts() -> View:
    c = common_pb2

    def details(name: str) -> Schema:
        return {"type": "object", "properties": {name: field_schema(c.Usage, name)}}

    return View(
        c.Usage,
        omit=frozenset({"cached_tokens", "reasoning_tokens"}),
        add={
            "prompt_tokens_details": details("cached_tokens"),
            "completion_tokens_details": details("reasoning_tokens"),
        },
        required=("prompt_tokens", "completion_tokens", "total_tokens"),
    )


def completion() -> View:
    """The ``chat.completion`` of ``completion_from_proto``."""
    c = common_pb2
    choice = View(
        c.Choice,
        fields={
            "finish_reason": nullable(_STRING),  # "" in the proto
            "message": View(c.AssistantMessage, required=("role",)),
        },
        required=("index", "message", "finish_reason"),
    )
    return View(
        c.ChatCompletion,
        fields={
            "choices": _array(choice),
            "usage": _usage_counts(),
            "spidergate_metadata": View(c.SpidergateMetadata, required=("provider",)),
        },
        required=("id", "object", "created", "model", "choices"),
    )


def chunk() -> View:
    """One ``chat.completion.chunk`` event of ``chunk_from_proto``."""
    c = common_pb2
    choice = View(
        c.ChunkChoice,
        fields={"finish_reason": nullable(_STRING), "delta": View(c.ChoiceDelta, required=())},
        required=("index", "delta", "finish_reason"),
    )
    return View(
        c.ChatCompletionChunk,
        fields={"choices": _array(choice), "usage": _usage_counts()},
        required=("id", "object", "created", "model", "choices"),
    )


# ---------------------------------------------------------------- catalog, vault, usage


def _listing(message: Any, name: str, repeated: str, item: View, **add: Any) -> View:
    """``{"object": "list", "data": [...]}`` from a response with one repeated field."""
    return View(
        message,
        name=name,
        omit=frozenset({"headers"}),
        rename={repeated: "data"},
        fields={"data": _array(item)},
        add={"object": _const("list"), **add},
    )


def _catalog_shapes() -> dict[str, View]:
    c = catalog_pb2
    head = ("id", "created", "owned_by")  # the OpenAI model object; the rest is nested
    info = View(c.Model, name="ModelInfo", omit=frozenset(head))
    model = View(c.Model, only=head, add={"object": _const("model"), "spidergate_info": info})
    alias = View(
        c.Alias, fields={"falls_through_to": nullable(_STRING)}, add={"object": _const("alias")}
    )
    provider = View(c.Provider, add={"object": _const("provider")})
    page = {k: field_schema(c.ListModelsRequest, k) for k in ("limit", "offset")}
    return {
        "health": View(c.GetHealthResponse, name="Health", rename={"uptime_seconds": "uptime"}),
        "model": model,
        "models": _listing(
            c.ListModelsResponse, "ModelList", "models", model, **page, has_more={"type": "boolean"}
        ),
        "aliases": _listing(c.ListAliasesResponse, "AliasList", "aliases", alias),
        "providers": _listing(c.ListProvidersResponse, "ProviderList", "providers", provider),
    }


def _vault_shapes() -> dict[str, View]:
    v = vault_pb2
    text = nullable(_STRING)
    key = View(
        v.ProviderKey,
        name="VaultKey",
        fields={"client_id": text, "base_url": text},  # "" in the proto
        add={"object": _const("vault.key"), "pool": {"type": "boolean"}},
    )
    limits: dict[str, Schema] = {
        "priority": value_range(0, MAX_PRIORITY),
        "rpm_limit": value_range(0, MAX_REQUEST_LIMIT),
        "rpd_limit": value_range(0, MAX_REQUEST_LIMIT),
        "spend_limit_usd": value_range(0, MAX_SPEND_USD),
        "label": {"maxLength": 200},
        "secret": {"maxLength": 4096},
        "base_url": {"maxLength": 500},
    }
    provider = {"maxLength": 64, "examples": ["groq"]}
    return {
        "key": key,
        "keys": _listing(v.ListKeysResponse, "VaultKeyList", "keys", key),
        "deleted": View(
            v.DeleteKeyResponse,
            name="VaultKeyDeleted",
            rename={"key_id": "id"},
            add={"object": _const("vault.key")},
        ),
        "health": View(
            v.GetHealthSummaryResponse, name="VaultHealth", add={"object": _const("vault.health")}
        ),
        "create": View(
            v.CreateKeyRequest,
            name="VaultKeyCreate",
            limits={**limits, "provider": provider},
            required=("provider",),
            null_is_unset=True,
            closed=True,  # proto_convert/vault.py: an unknown key is a 400
        ),
        "update": View(
            v.UpdateKeyRequest,
            name="VaultKeyUpdate",
            omit=frozenset({"key_id"}),  # the path's
            limits=limits,
            required=(),
            null_is_unset=True,
            closed=True,
        ),
    }


def _usage_shapes() -> dict[str, View]:
    u = usage_pb2
    latency = {p: field_schema(u.UsageMetrics, f"latency_{p}_ms") for p in ("p50", "p95", "p99")}
    metrics = View(
        u.UsageMetrics,
        omit=frozenset(f"latency_{p}_ms" for p in latency),
        add={
            "total_tokens": field_schema(u.UsageMetrics, "prompt_tokens"),
            "latency_ms": _obj(latency),
        },
    )

    def groups(key: str) -> Schema:
        return _array({"allOf": [metrics, _obj({key: field_schema(u.UsageGroup, "key")})]})

    report = View(
        u.GetUsageResponse,
        name="UsageReport",
        omit=frozenset({"start_time_ms", "end_time_ms", "headers"}),
        fields={
            "totals": metrics,
            **{f"by_{k}": groups(k) for k in ("model", "provider", "alias", "agent")},
            "by_bucket": _array({"allOf": [metrics, _obj({"start": _TIME})]}),
        },
        add={"object": _const("usage"), "from": _TIME, "to": _TIME},
    )
    tokens = ("prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens")
    counts = {t: field_schema(u.Trace, t) for t in tokens}
    trace_keys = {
        "object": _const("trace"),
        "created": {**field_schema(u.Trace, "created_ms"), "description": "unix seconds"},
        "created_at": _TIME,
        "usage": _obj({**counts, "total_tokens": counts["prompt_tokens"]}),
    }
    moved = frozenset({"created_ms", *tokens})
    trace = View(u.Trace, omit=moved | {"attempts"}, add=trace_keys)
    page = {k: field_schema(u.ListTracesRequest, k) for k in ("limit", "offset")}
    return {
        "usage": report,
        "trace": View(u.Trace, name="TraceDetail", omit=moved, add=trace_keys),
        "traces": _listing(u.ListTracesResponse, "TracePage", "traces", trace, **page),
    }


def _queries() -> dict[str, View]:
    """The query strings, by the request message the handler parses them into."""
    u = usage_pb2
    window = {"start_time_ms": "from", "end_time_ms": "to"}
    when = "ISO 8601 (naive: UTC; a date: its midnight) or unix seconds"
    times = {"from": {**_STRING, "description": when}, "to": {**_STRING, "description": when}}
    offset = {"minimum": 0, "default": 0}
    return {
        "models": View(
            catalog_pb2.ListModelsRequest,
            limits={
                "limit": {**value_range(1, MAX_LIMIT), "default": DEFAULT_LIMIT},
                "offset": offset,
                "sort_by": {"default": "usage"},
            },
            empty_is_unset=True,  # catalog/query.py: `?provider=` is no filter
        ),
        "chat": View(common_pb2.ChatCompletionRequest, only=("include_route_trace",)),
        "vault_keys": View(vault_pb2.ListKeysRequest),
        "vault_health": View(vault_pb2.GetHealthSummaryRequest),
        "usage": View(u.GetUsageRequest, rename=window, fields=times),
        "traces": View(
            u.ListTracesRequest,
            rename=window,
            omit=frozenset({"status_class", "status_code"}),  # one `status` over REST
            fields=times,
            add={
                "status": {
                    **_STRING,
                    "pattern": "^(success|error|[1-5][0-9][0-9])$",
                    "description": "success (below 400), error (400 and above), or one status",
                }
            },
            limits={
                "limit": {**value_range(1, MAX_TRACE_LIMIT), "default": DEFAULT_TRACE_LIMIT},
                "offset": offset,
            },
        ),
    }


# ---------------------------------------------------------------- operations


@dataclass(frozen=True, slots=True)
class Op:
    """What the document says of one endpoint beyond its path and method."""

    summary: str
    tag: str
    answer: View | Schema  # the JSON of a success
    # "none": a token is ignored; "optional": checked when sent; "required".
    auth: str = "required"
    scope: str | None = None
    status: int = 200
    query: View | None = None
    path: View | None = None
    body: View | None = None
    errors: tuple[str, ...] = ()  # reason codes besides those auth, query and body give
    stream: View | None = None  # the chunk of a text/event-stream answer
    shed: bool = True  # refused with 503 overloaded at the concurrency bound
    description: str = ""


_VAULT = (
    "A brand's client credential manages that brand's keys; the operator token manages "
    "pool keys and may read every key; agent tokens are refused (403 permission_denied). "
    "A key outside the caller's reach answers 404 exactly as an unknown id."
)
_CHAT = (
    "The OpenAI chat-completion request; `model` is a task alias, a model id or a "
    "provider-qualified id. Unknown keys are passed on to the provider. A stream's errors "
    "before its first chunk are ordinary JSON errors; after it, one "
    '`data: {"error": ...}` event and then `data: [DONE]`.'
)
_CHAT_ERRORS = (
    *("budget_exceeded", "model_not_allowed", "model_not_found", "no_qualifying_model"),
    *("rate_limit_exceeded", "daily_rate_limit_exceeded", "upstream_error"),
    *("all_providers_failed", "service_unavailable", "no_openai_key", "upstream_timeout"),
)


def _operations() -> dict[Callable[..., Any], Op]:
    cat, vlt, use, q = _catalog_shapes(), _vault_shapes(), _usage_shapes(), _queries()

    def public(summary: str, answer: View, **kw: Any) -> Op:
        return Op(summary, "catalog", answer, auth="optional", **kw)

    def keys(summary: str, answer: View, errors: tuple[str, ...] = (), **kw: Any) -> Op:
        errors = ("permission_denied", *errors)
        return Op(summary, "vault", answer, errors=errors, description=_VAULT, **kw)

    def key(summary: str, answer: View = vlt["key"], **kw: Any) -> Op:
        return keys(summary, answer, ("not_found",), path=View(vault_pb2.GetKeyRequest), **kw)

    def ledger(summary: str, answer: View, **kw: Any) -> Op:
        return Op(summary, "usage", answer, scope="gate:usage", **kw)

    model_id = {
        "model_id": {
            "description": "A catalog id, a model name or an alias; its '/' are sent as is",
            "examples": ["groq/llama-3.1-8b-instant", "gpt-4o"],
        }
    }
    return {
        chat.chat_completions: Op(
            "Create a chat completion (JSON, or Server-Sent Events with stream: true)",
            "chat",
            completion(),
            scope="gate:chat",
            query=q["chat"],
            body=chat_request(),
            stream=chunk(),
            errors=_CHAT_ERRORS,
            description=_CHAT,
        ),
        catalog.health: Op(
            "Liveness and version",
            "catalog",
            cat["health"],
            auth="none",
            errors=("service_unavailable",),
            shed=False,  # never refused at the concurrency bound
        ),
        catalog.list_models: public(
            "Models, filtered, sorted, paged", cat["models"], query=q["models"]
        ),
        catalog.get_model: public(
            "One model (its id may contain '/')",
            cat["model"],
            path=View(catalog_pb2.GetModelRequest, rename={"id": "model_id"}, limits=model_id),
            errors=("model_not_found",),
        ),
        catalog.list_aliases: public("Task aliases and their chains", cat["aliases"]),
        catalog.list_providers: public("Providers, and whether a key exists", cat["providers"]),
        vault.list_keys: keys("The caller's provider keys", vlt["keys"], query=q["vault_keys"]),
        vault.create_key: keys(
            "Store a provider key, optionally tested first",
            vlt["key"],
            status=201,
            body=vlt["create"],
        ),
        vault.get_key: key("One provider key"),
        vault.update_key: key(
            "Change the fields given; null clears a limit or base_url", body=vlt["update"]
        ),
        vault.delete_key: key("Delete a key (its usage history stays)", vlt["deleted"]),
        vault.deactivate_key: key("Stop routing to a key"),
        vault.activate_key: key("Route to a key again, with a clean health record"),
        vault.health_summary: keys(
            "Live health of each key, one recommendation per provider",
            vlt["health"],
            query=q["vault_health"],
        ),
        usage.get_usage: ledger(
            "Totals and breakdowns over a window", use["usage"], query=q["usage"]
        ),
        usage.list_traces: ledger("Requests, newest first", use["traces"], query=q["traces"]),
        usage.get_trace: ledger(
            "One request with every attempt",
            use["trace"],
            path=View(usage_pb2.GetTraceRequest),
            errors=("not_found",),
        ),
        openapi_json: Op("This document", "meta", {"type": "object"}, auth="none"),
    }


# ---------------------------------------------------------------- the document

_TAGS = {
    "chat": "Chat completions, OpenAI-compatible.",
    "catalog": "Public: health, models, aliases, providers. A token, when sent, must be "
    "valid; with the gate:models scope, is_configured counts the brand's own keys.",
    "vault": "Provider keys, encrypted at rest; secrets go in and never come out.",
    "usage": "What the ledger recorded of the caller's own requests (gate:usage).",
    "meta": "About the API itself.",
}
_STREAM = (
    "Each event is `data: <chat.completion.chunk JSON>` and a blank line (the chunk's "
    "shape: `x-spidergate-event`); the stream ends with `data: [DONE]`."
)


def _headers() -> dict[str, Schema]:
    def header(description: str, kind: str = "string", required: bool = False) -> Schema:
        return {"description": description, "required": required, "schema": {"type": kind}}

    return {
        "X-Request-Id": header("The request's id (the client's, when sane)", required=True),
        "X-RateLimit-Limit-Requests": header("The token's request limit", "integer"),
        "X-RateLimit-Remaining-Requests": header("Requests left in the window", "integer"),
        "X-RateLimit-Reset": header("Seconds until the window frees a slot", "integer"),
        "Retry-After": header("Seconds to wait before retrying", "integer"),
        "WWW-Authenticate": header("Bearer", required=True),
        "X-SpiderGate-Fallback-From": header("The chain's first choice, when another served"),
        "X-SpiderGate-Dropped-Params": header("Parameters dropped that change nothing"),
    }


def _error_schema() -> Schema:
    types = sorted({r.type for r in CATALOGUE.values()})
    body = _obj(
        {
            "type": {"type": "string", "enum": types},
            "code": {"type": "string", "enum": list(CATALOGUE)},
            "message": {"type": "string"},
            "param": nullable({"type": "string"}),
        }
    )
    return {
        "type": "object",
        "properties": {
            "error": body,
            "spidergate_error": {
                "type": "object",
                "description": "e.g. the candidates' verdicts (422) or the attempts (502)",
            },
        },
        "required": ["error"],
    }


def _ref_header(name: str) -> Schema:
    return {"$ref": f"#/components/headers/{name}"}


def _error_codes(op: Op) -> list[str]:
    codes = list(op.errors)
    if op.auth == "optional":
        codes += ["invalid_token_format", "invalid_api_key"]
    elif op.auth == "required":
        codes += ["missing_api_key", "invalid_token_format", "invalid_api_key"]
    if op.scope:
        codes.append("insufficient_scope")
    if op.query or op.body:
        codes.append("invalid_request")
    if op.body:
        codes.append("request_too_large")
    if op.shed:
        codes.append("overloaded")
    return list(dict.fromkeys(codes))


def _responses(op: Op, shapes: Shapes) -> dict[str, Schema]:
    ok_headers = {"X-Request-Id": _ref_header("X-Request-Id")}
    if op.auth != "none":
        for name in ("X-RateLimit-Limit-Requests", "X-RateLimit-Remaining-Requests"):
            ok_headers[name] = _ref_header(name)
        ok_headers["X-RateLimit-Reset"] = _ref_header("X-RateLimit-Reset")
    if op.stream:
        for name in ("X-SpiderGate-Fallback-From", "X-SpiderGate-Dropped-Params"):
            ok_headers[name] = _ref_header(name)
    content: dict[str, Schema] = {"application/json": {"schema": shapes.ref(op.answer)}}
    if op.stream:
        content["text/event-stream"] = {
            "schema": {"type": "string", "description": _STREAM},
            "x-spidergate-event": shapes.ref(op.stream),
        }
    out: dict[str, Schema] = {
        str(op.status): {"description": op.summary, "headers": ok_headers, "content": content}
    }
    by_status: dict[int, list[str]] = {}
    for code in _error_codes(op):
        for status in (CATALOGUE[code].http_status, *ALSO_STATUS.get(code, ())):
            by_status.setdefault(status, []).append(code)
    for status, codes in sorted(by_status.items()):
        headers = {"X-Request-Id": _ref_header("X-Request-Id")}
        if status == 401:
            headers["WWW-Authenticate"] = _ref_header("WWW-Authenticate")
        if status in (429, 503):
            headers["Retry-After"] = _ref_header("Retry-After")
        narrowed = {"properties": {"error": {"properties": {"code": {"enum": codes}}}}}
        schema = {"allOf": [{"$ref": "#/components/schemas/Error"}, narrowed]}
        out[str(status)] = {
            "description": ", ".join(codes),
            "headers": headers,
            "content": {"application/json": {"schema": schema}},
        }
    return out


def _security(op: Op) -> list[dict[str, list[str]]]:
    if op.auth == "none":
        return []
    if op.auth == "optional":
        return [{}, {"bearer": []}]
    return [{"bearer": [op.scope] if op.scope else []}]


def _parameters(view: View | None, where: str, shapes: Shapes) -> list[Schema]:
    if view is None:
        return []
    props, _ = shapes.properties(view)
    empty = {"allowEmptyValue": True} if view.empty_is_unset else {}
    return [
        {
            "name": name,
            "in": where,
            "required": where == "path",
            **empty,
            "schema": shapes.ref(not_null(schema)),
        }
        for name, schema in props.items()
    ]


def _operation(op: Op, endpoint: Callable[..., Any], shapes: Shapes) -> Schema:
    out: Schema = {
        "operationId": endpoint.__name__,
        "summary": op.summary,
        "tags": [op.tag],
        "security": _security(op),
    }
    if op.description or op.scope:
        scope = f"Needs a token with the `{op.scope}` scope. " if op.scope else ""
        out["description"] = scope + op.description
    params = _parameters(op.path, "path", shapes) + _parameters(op.query, "query", shapes)
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": shapes.ref(op.body)}},
        }
    out["responses"] = _responses(op, shapes)
    return out


def api_routes(routes: list[BaseRoute]) -> Iterator[tuple[str, str, Route]]:
    """(prefix, method, route) of every route under a prefix (a ``Mount``), HEAD aside."""
    for mount in routes:
        if isinstance(mount, Mount):
            for route in mount.routes:
                if isinstance(route, Route):
                    for method in sorted(route.methods or ()):
                        if method != "HEAD":
                            yield mount.path, method, route


def build_document(routes: list[BaseRoute]) -> Schema:
    """The OpenAPI document of an app with these (top-level) routes."""
    shapes = Shapes(defaults=(tool_call(),))
    operations = _operations()
    paths: dict[str, dict[str, Schema]] = {}
    prefixes: list[str] = []
    for prefix, method, route in api_routes(routes):
        if prefix not in prefixes:
            prefixes.append(prefix)
        path = _CONVERTOR.sub(r"{\1}", route.path)
        item = paths.setdefault(path, {})
        if method.lower() in item:
            continue  # the same route under the other prefix
        op = operations.get(route.endpoint)
        if op is None:
            item[method.lower()] = {
                "summary": f"{route.endpoint.__name__} (undescribed)",
                "x-undocumented": True,
                "responses": {"default": {"description": "undescribed"}},
            }
        else:
            item[method.lower()] = _operation(op, route.endpoint, shapes)
    unknown_root = [r.path for r in routes if isinstance(r, Route) and r.path not in ROOT_ROUTES]
    doc: Schema = {
        "openapi": "3.1.0",
        "info": {
            "title": "SpiderGate",
            "version": gate_service.__version__,
            "summary": "An OpenAI-compatible LLM gateway that pools provider accounts.",
            "description": 'Every error is `{"error": {"type", "code", "message", '
            '"param"}}`; clients branch on `code`. Generated from the routes and the proto '
            "descriptors by bridge/openapi.py. Also served outside the prefixes: "
            + "; ".join(f"`{p}`: {what}" for p, what in ROOT_ROUTES.items()),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [
            {"url": p, "description": "canonical" if i == 0 else "the same routes"}
            for i, p in enumerate(prefixes)
        ],
        "tags": [{"name": k, "description": v} for k, v in _TAGS.items()],
        "paths": paths,
        "components": {
            "schemas": {"Error": _error_schema(), **shapes.components},
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An agent token, a brand's client credential "
                    "(client_id:api_key:api_secret) or, for the vault, the operator token. "
                    "The requirement lists the scope the token needs.",
                }
            },
            "headers": _headers(),
        },
    }
    if unknown_root:
        doc["x-undocumented-root-routes"] = unknown_root
    return doc


def undocumented(doc: Schema) -> list[str]:
    """Routes the document lists without a description (a test keeps this empty)."""
    missing = [
        f"{method.upper()} {path}"
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if operation.get("x-undocumented")
    ]
    return missing + list(doc.get("x-undocumented-root-routes", ()))


async def openapi_json(request: Request) -> Response:
    """``GET /openapi.json``: built once per app, at its first request."""
    body = getattr(request.app.state, "openapi_json", None)
    if body is None:
        body = orjson.dumps(build_document(request.app.routes))
        request.app.state.openapi_json = body
    return Response(body, media_type="application/json", headers={REQUEST_ID: request_id(request)})


ROUTES = [Route("/openapi.json", openapi_json, methods=["GET"])]

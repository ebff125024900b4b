"""The JSON the REST routes read and write, as views of the proto messages their handlers
convert (:mod:`bridge.proto_schema`), for the OpenAPI document (:mod:`bridge.openapi`).

A view states only where a converter's JSON departs from its message (a field renamed,
moved, omitted, nullable); the **ranges** are the validators' own tables
(``chat/validation.py``, ``catalog/query.py``, ``ledger/views.py``,
``vault/validation.py``), so a changed bound changes the document by itself.
"""

from __future__ import annotations

from typing import Any

from bridge.proto_schema import Schema, View, field_schema, nullable, request_view, value_range
from gate_service.catalog.query import DEFAULT_LIMIT, MAX_LIMIT
from gate_service.chat import validation as chat_rules
from gate_service.ledger.analytics_views import (
    DEFAULT_DAYS,
    DEFAULT_FLOW_LIMIT,
    DEFAULT_KEY_LIMIT,
    MAX_DAYS,
    MAX_FLOW_LIMIT,
    MAX_KEY_LIMIT,
)
from gate_service.ledger.record import REQUEST_KINDS
from gate_service.ledger.views import DEFAULT_TRACE_LIMIT, MAX_TRACE_LIMIT
from gate_service.vault.validation import MAX_PRIORITY, MAX_REQUEST_LIMIT, MAX_SPEND_USD
from spidergate.v1 import catalog_pb2, common_pb2, usage_pb2, vault_pb2

_STRING: Schema = {"type": "string"}
_KIND: Schema = {"enum": list(REQUEST_KINDS)}
_TIME: Schema = {"type": "string", "format": "date-time"}


def const(value: str) -> Schema:
    """A string that is always ``value``."""
    return {"type": "string", "const": value}


def obj(props: dict[str, Schema]) -> Schema:
    """An object with every one of ``props`` required."""
    return {"type": "object", "properties": props, "required": list(props)}


def array(items: Any, **kw: Any) -> Schema:
    """An array of ``items`` (``kw``: minItems, maxItems...)."""
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
            "content": {"anyOf": [_STRING, array(part)]},
            "tool_calls": array(tool_call()),
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
            "messages": array(message, minItems=1),
            "stop": {"anyOf": [_STRING, array(_STRING, maxItems=4)]},
            "tools": array(
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
                limits={k: value_range(*r) for k, r in rules.OPTION_RANGES.items()},
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
            "choices": array(choice),
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
        fields={"choices": array(choice), "usage": _usage_counts()},
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
        fields={"data": array(item)},
        add={"object": const("list"), **add},
    )


def catalog_shapes() -> dict[str, View]:
    c = catalog_pb2
    head = ("id", "created", "owned_by")  # the OpenAI model object; the rest is nested
    alias_only = ("chain", "use_case", "falls_through_to")  # kind "alias" only
    info = View(
        c.Model,
        name="ModelInfo",
        omit=frozenset(head),
        fields={
            "kind": {"enum": ["model", "alias"]},
            "chain": array({**_STRING, "description": "provider:model, first choice first"}),
            "falls_through_to": nullable(_STRING),
            # The probe's findings (docs/qualification.md): null when never probed.
            "supports_tools": nullable({"type": "boolean"}),
            "last_probe_status": nullable(
                {**_STRING, "enum": ["ok", "no_tools", "delisted", "error"]}
            ),
            "probed_at": nullable({**_STRING, "format": "date-time"}),
        },
        required=tuple(
            f.name for f in c.Model.DESCRIPTOR.fields if f.name not in (*head, *alias_only)
        ),
    )
    model = View(c.Model, only=head, add={"object": const("model"), "spidergate_info": info})
    alias = View(
        c.Alias, fields={"falls_through_to": nullable(_STRING)}, add={"object": const("alias")}
    )
    provider = View(c.Provider, add={"object": const("provider")})
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


def vault_shapes() -> dict[str, View]:
    v = vault_pb2
    text = nullable(_STRING)
    key = View(
        v.ProviderKey,
        name="VaultKey",
        fields={"client_id": text, "base_url": text},  # "" in the proto
        add={"object": const("vault.key"), "pool": {"type": "boolean"}},
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
            add={"object": const("vault.key")},
        ),
        "health": View(
            v.GetHealthSummaryResponse, name="VaultHealth", add={"object": const("vault.health")}
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


def usage_shapes() -> dict[str, View]:
    u = usage_pb2
    latency = {p: field_schema(u.UsageMetrics, f"latency_{p}_ms") for p in ("p50", "p95", "p99")}
    metrics = View(
        u.UsageMetrics,
        omit=frozenset(f"latency_{p}_ms" for p in latency),
        add={
            "total_tokens": field_schema(u.UsageMetrics, "prompt_tokens"),
            "latency_ms": obj(latency),
        },
    )

    def groups(key: str) -> Schema:
        return array({"allOf": [metrics, obj({key: field_schema(u.UsageGroup, "key")})]})

    breakdowns: dict[str, Any] = {
        "totals": metrics,
        **{f"by_{k}": groups(k) for k in ("model", "provider", "alias", "agent", "kind")},
        "by_bucket": array({"allOf": [metrics, obj({"start": _TIME})]}),
    }
    window = {"from": _TIME, "to": _TIME}
    report_keys = ("object", "from", "to", "bucket", *breakdowns)
    report = View(
        u.GetUsageResponse,
        name="UsageReport",
        omit=frozenset({"start_time_ms", "end_time_ms", "headers"}),
        fields={
            **breakdowns,
            "comparison": {
                **obj({**window, **breakdowns}),
                "description": "With compare=true: the window of equal length just before.",
            },
        },
        add={"object": const("usage"), **window},
        required=report_keys,  # `comparison` only with compare=true
    )
    tokens = ("prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens")
    counts = {t: field_schema(u.Trace, t) for t in tokens}
    trace_keys = {
        "object": const("trace"),
        "created": {**field_schema(u.Trace, "created_ms"), "description": "unix seconds"},
        "created_at": _TIME,
        "usage": obj({**counts, "total_tokens": counts["prompt_tokens"]}),
    }
    moved = frozenset({"created_ms", *tokens})
    kind = {"kind": _KIND}
    trace = View(u.Trace, omit=moved | {"attempts"}, add=trace_keys, limits=kind)
    page = {k: field_schema(u.ListTracesRequest, k) for k in ("limit", "offset")}
    timed = frozenset({"start_time_ms", "end_time_ms", "headers"})
    flow_row = View(u.FlowRow)
    provider = View(u.ProviderCapacity)
    return {
        "usage": report,
        "trace_stats": View(
            u.GetTraceStatsResponse,
            name="TraceStats",
            omit=timed,
            add={"object": const("trace.stats"), **window},
        ),
        "stats": View(
            u.GetStatsResponse, name="Stats", omit=timed, add={"object": const("stats"), **window}
        ),
        "flow": View(
            u.GetFlowResponse,
            name="Flow",
            omit=timed,
            rename={"rows": "data"},
            fields={"data": array(flow_row)},
            add={"object": const("flow"), **window},
        ),
        "capacity": View(
            u.GetCapacityResponse,
            name="Capacity",
            omit=timed,
            rename={"providers": "data"},
            fields={"data": array(provider)},
            add={"object": const("capacity"), **window},
        ),
        "trace": View(
            u.Trace,
            name="TraceDetail",
            omit=moved,
            add={**trace_keys, **_CAPTURED},
            limits=kind,
        ),
        "traces": _listing(u.ListTracesResponse, "TracePage", "traces", trace, **page),
    }


# The captured-messages keys of a trace's detail (docs/capture.md).
_MESSAGES: Schema = {"type": "array", "items": {"type": "object"}}
_CAPTURED: dict[str, Schema] = {
    "captured": {"type": "boolean", "description": "whether content capture kept its messages"},
    "input_messages": _MESSAGES,
    "output_messages": _MESSAGES,
    "input_truncated": {"type": "boolean"},
    "output_truncated": {"type": "boolean"},
    "spans": {
        "type": "array",
        "description": "the waterfall: auth, plan, admission, each attempt, ledger",
        "items": {
            "type": "object",
            "required": ["name", "start_ms", "duration_ms"],
            "properties": {
                "name": {"enum": ["auth", "plan", "admission", "attempt", "ledger"]},
                "start_ms": {"type": "number"},
                "duration_ms": {"type": "number"},
                "provider": {"type": "string"},
                "model": {"type": "string"},
                "key": {"type": "string"},
                "status": {"type": "integer"},
                "outcome": {"type": "string"},
            },
        },
    },
}


def queries() -> dict[str, View]:
    """The query strings, by the request message the handler parses them into."""
    u = usage_pb2
    window = {"start_time_ms": "from", "end_time_ms": "to"}
    when = "ISO 8601 (naive: UTC; a date: its midnight) or unix seconds"
    times = {"from": {**_STRING, "description": when}, "to": {**_STRING, "description": when}}
    offset = {"minimum": 0, "default": 0}
    status = {
        **_STRING,
        "pattern": "^(success|error|[1-5][0-9][0-9])$",
        "description": "success (below 400), error (400 and above), or one status",
    }
    at_least_0 = {"min_latency_ms": {"minimum": 0}, "min_cost_usd": {"minimum": 0}}
    return {
        "models": View(
            catalog_pb2.ListModelsRequest,
            limits={
                "limit": {**value_range(1, MAX_LIMIT), "default": DEFAULT_LIMIT},
                "offset": offset,
                "sort_by": {"default": "usage"},
                "kind": {"enum": ["model", "alias"]},
            },
            empty_is_unset=True,  # catalog/query.py: `?provider=` is no filter
        ),
        "chat": View(common_pb2.ChatCompletionRequest, only=("include_route_trace",)),
        "vault_keys": View(vault_pb2.ListKeysRequest),
        "vault_health": View(vault_pb2.GetHealthSummaryRequest),
        "usage": View(
            u.GetUsageRequest,
            rename=window,
            fields={**times, "compare": {"type": "string", "enum": ["true", "false"]}},
            limits={"kind": _KIND},
        ),
        "traces": View(
            u.ListTracesRequest,
            rename=window,
            omit=frozenset({"status_class", "status_code"}),  # one `status` over REST
            fields=times,
            add={"status": status},
            limits={
                "limit": {**value_range(1, MAX_TRACE_LIMIT), "default": DEFAULT_TRACE_LIMIT},
                "offset": offset,
                "kind": _KIND,
                **at_least_0,
            },
        ),
        "trace_stats": View(
            u.GetTraceStatsRequest,
            rename=window,
            omit=frozenset({"status_class", "status_code"}),
            fields=times,
            add={"status": status},
            limits={"kind": _KIND, **at_least_0},
        ),
        "stats": View(u.GetStatsRequest, rename=window, fields=times),
        "flow": View(
            u.GetFlowRequest,
            limits={
                "days": {**value_range(1, MAX_DAYS), "default": DEFAULT_DAYS},
                "limit": {**value_range(1, MAX_FLOW_LIMIT), "default": DEFAULT_FLOW_LIMIT},
            },
        ),
        "capacity": View(
            u.GetCapacityRequest,
            limits={
                "days": {**value_range(1, MAX_DAYS), "default": DEFAULT_DAYS},
                "key_limit": {**value_range(1, MAX_KEY_LIMIT), "default": DEFAULT_KEY_LIMIT},
            },
        ),
    }

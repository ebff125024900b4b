from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BucketSize(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BUCKET_SIZE_UNSPECIFIED: _ClassVar[BucketSize]
    BUCKET_SIZE_HOUR: _ClassVar[BucketSize]
    BUCKET_SIZE_DAY: _ClassVar[BucketSize]

class StatusClass(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATUS_CLASS_UNSPECIFIED: _ClassVar[StatusClass]
    STATUS_CLASS_SUCCESS: _ClassVar[StatusClass]
    STATUS_CLASS_ERROR: _ClassVar[StatusClass]
BUCKET_SIZE_UNSPECIFIED: BucketSize
BUCKET_SIZE_HOUR: BucketSize
BUCKET_SIZE_DAY: BucketSize
STATUS_CLASS_UNSPECIFIED: StatusClass
STATUS_CLASS_SUCCESS: StatusClass
STATUS_CLASS_ERROR: StatusClass

class GetUsageRequest(_message.Message):
    __slots__ = ("start_time_ms", "end_time_ms", "bucket", "kind", "compare", "raw_query")
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    END_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    COMPARE_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    start_time_ms: int
    end_time_ms: int
    bucket: BucketSize
    kind: str
    compare: bool
    raw_query: str
    def __init__(self, start_time_ms: _Optional[int] = ..., end_time_ms: _Optional[int] = ..., bucket: _Optional[_Union[BucketSize, str]] = ..., kind: _Optional[str] = ..., compare: _Optional[bool] = ..., raw_query: _Optional[str] = ...) -> None: ...

class UsageMetrics(_message.Message):
    __slots__ = ("requests", "errors", "error_rate", "prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens", "cost_usd", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "cache_hits", "cache_hit_rate", "fallbacks")
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    ERROR_RATE_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    REASONING_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P50_MS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P95_MS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P99_MS_FIELD_NUMBER: _ClassVar[int]
    CACHE_HITS_FIELD_NUMBER: _ClassVar[int]
    CACHE_HIT_RATE_FIELD_NUMBER: _ClassVar[int]
    FALLBACKS_FIELD_NUMBER: _ClassVar[int]
    requests: int
    errors: int
    error_rate: float
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    cost_usd: float
    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float
    cache_hits: int
    cache_hit_rate: float
    fallbacks: int
    def __init__(self, requests: _Optional[int] = ..., errors: _Optional[int] = ..., error_rate: _Optional[float] = ..., prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., cached_tokens: _Optional[int] = ..., reasoning_tokens: _Optional[int] = ..., cost_usd: _Optional[float] = ..., latency_p50_ms: _Optional[float] = ..., latency_p95_ms: _Optional[float] = ..., latency_p99_ms: _Optional[float] = ..., cache_hits: _Optional[int] = ..., cache_hit_rate: _Optional[float] = ..., fallbacks: _Optional[int] = ...) -> None: ...

class UsageGroup(_message.Message):
    __slots__ = ("key", "metrics")
    KEY_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    key: str
    metrics: UsageMetrics
    def __init__(self, key: _Optional[str] = ..., metrics: _Optional[_Union[UsageMetrics, _Mapping]] = ...) -> None: ...

class UsageBucket(_message.Message):
    __slots__ = ("start_time_ms", "metrics")
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    start_time_ms: int
    metrics: UsageMetrics
    def __init__(self, start_time_ms: _Optional[int] = ..., metrics: _Optional[_Union[UsageMetrics, _Mapping]] = ...) -> None: ...

class GetUsageResponse(_message.Message):
    __slots__ = ("start_time_ms", "end_time_ms", "bucket", "totals", "by_model", "by_provider", "by_alias", "by_agent", "by_bucket", "headers", "by_kind", "comparison")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    END_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    BY_MODEL_FIELD_NUMBER: _ClassVar[int]
    BY_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    BY_ALIAS_FIELD_NUMBER: _ClassVar[int]
    BY_AGENT_FIELD_NUMBER: _ClassVar[int]
    BY_BUCKET_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    BY_KIND_FIELD_NUMBER: _ClassVar[int]
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    start_time_ms: int
    end_time_ms: int
    bucket: BucketSize
    totals: UsageMetrics
    by_model: _containers.RepeatedCompositeFieldContainer[UsageGroup]
    by_provider: _containers.RepeatedCompositeFieldContainer[UsageGroup]
    by_alias: _containers.RepeatedCompositeFieldContainer[UsageGroup]
    by_agent: _containers.RepeatedCompositeFieldContainer[UsageGroup]
    by_bucket: _containers.RepeatedCompositeFieldContainer[UsageBucket]
    headers: _containers.ScalarMap[str, str]
    by_kind: _containers.RepeatedCompositeFieldContainer[UsageGroup]
    comparison: UsageComparison
    def __init__(self, start_time_ms: _Optional[int] = ..., end_time_ms: _Optional[int] = ..., bucket: _Optional[_Union[BucketSize, str]] = ..., totals: _Optional[_Union[UsageMetrics, _Mapping]] = ..., by_model: _Optional[_Iterable[_Union[UsageGroup, _Mapping]]] = ..., by_provider: _Optional[_Iterable[_Union[UsageGroup, _Mapping]]] = ..., by_alias: _Optional[_Iterable[_Union[UsageGroup, _Mapping]]] = ..., by_agent: _Optional[_Iterable[_Union[UsageGroup, _Mapping]]] = ..., by_bucket: _Optional[_Iterable[_Union[UsageBucket, _Mapping]]] = ..., headers: _Optional[_Mapping[str, str]] = ..., by_kind: _Optional[_Iterable[_Union[UsageGroup, _Mapping]]] = ..., comparison: _Optional[_Union[UsageComparison, _Mapping]] = ...) -> None: ...

class UsageComparison(_message.Message):
    __slots__ = ("start_time_ms", "end_time_ms", "totals", "by_model", "by_provider", "by_alias", "by_agent", "by_bucket", "by_kind")
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    END_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    BY_MODEL_FIELD_NUMBER: _ClassVar[int]
    BY_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    BY_ALIAS_FIELD_NUMBER: _ClassVar[int]
    BY_AGENT_FIELD_NUMBER: _ClassVar[int]
    BY_BUCKET_FIELD_NUMBER: _ClassVar[int]
    BY_KIND_FIELD_NUMBER: _ClassVar[int]
    start_time_ms: int
    end_time_ms: int
    totals: UsageMetrics
    by_model: _containers.RepeatedCompositeFieldContainer[UsageGroup]
    by_provider: _containers.RepeatedCompositeFieldContainer[UsageGroup]
    by_alias: _containers.RepeatedCompositeFieldContainer[UsageGroup]
    by_agent: _containers.RepeatedCompositeFieldContainer[UsageGroup]
    by_bucket: _containers.RepeatedCompositeFieldContainer[UsageBucket]
    by_kind: _containers.RepeatedCompositeFieldContainer[UsageGroup]
    def __init__(self, start_time_ms: _Optional[int] = ..., end_time_ms: _Optional[int] = ..., totals: _Optional[_Union[UsageMetrics, _Mapping]] = ..., by_model: _Optional[_Iterable[_Union[UsageGroup, _Mapping]]] = ..., by_provider: _Optional[_Iterable[_Union[UsageGroup, _Mapping]]] = ..., by_alias: _Optional[_Iterable[_Union[UsageGroup, _Mapping]]] = ..., by_agent: _Optional[_Iterable[_Union[UsageGroup, _Mapping]]] = ..., by_bucket: _Optional[_Iterable[_Union[UsageBucket, _Mapping]]] = ..., by_kind: _Optional[_Iterable[_Union[UsageGroup, _Mapping]]] = ...) -> None: ...

class ListTracesRequest(_message.Message):
    __slots__ = ("agent", "model", "status_class", "status_code", "limit", "offset", "start_time_ms", "end_time_ms", "kind", "min_latency_ms", "min_cost_usd", "raw_query")
    AGENT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_CLASS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    END_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MIN_LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    MIN_COST_USD_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    agent: str
    model: str
    status_class: StatusClass
    status_code: int
    limit: int
    offset: int
    start_time_ms: int
    end_time_ms: int
    kind: str
    min_latency_ms: float
    min_cost_usd: float
    raw_query: str
    def __init__(self, agent: _Optional[str] = ..., model: _Optional[str] = ..., status_class: _Optional[_Union[StatusClass, str]] = ..., status_code: _Optional[int] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., start_time_ms: _Optional[int] = ..., end_time_ms: _Optional[int] = ..., kind: _Optional[str] = ..., min_latency_ms: _Optional[float] = ..., min_cost_usd: _Optional[float] = ..., raw_query: _Optional[str] = ...) -> None: ...

class TraceAttempt(_message.Message):
    __slots__ = ("provider", "model", "key", "outcome", "status", "latency_ms", "error_code", "error_message")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    provider: str
    model: str
    key: str
    outcome: str
    status: int
    latency_ms: float
    error_code: str
    error_message: str
    def __init__(self, provider: _Optional[str] = ..., model: _Optional[str] = ..., key: _Optional[str] = ..., outcome: _Optional[str] = ..., status: _Optional[int] = ..., latency_ms: _Optional[float] = ..., error_code: _Optional[str] = ..., error_message: _Optional[str] = ...) -> None: ...

class Trace(_message.Message):
    __slots__ = ("id", "created_ms", "client_id", "token_id", "agent", "requested_model", "alias", "kind", "model", "provider", "key_preview", "status", "error_code", "latency_ms", "ttft_ms", "prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens", "cost_usd", "streamed", "cache_hit", "fallback_chain", "attempts", "auth_ms", "plan_ms", "admission_ms")
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_MS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_MODEL_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    KEY_PREVIEW_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    TTFT_MS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CACHED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    REASONING_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    STREAMED_FIELD_NUMBER: _ClassVar[int]
    CACHE_HIT_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_CHAIN_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    AUTH_MS_FIELD_NUMBER: _ClassVar[int]
    PLAN_MS_FIELD_NUMBER: _ClassVar[int]
    ADMISSION_MS_FIELD_NUMBER: _ClassVar[int]
    id: str
    created_ms: int
    client_id: str
    token_id: str
    agent: str
    requested_model: str
    alias: str
    kind: str
    model: str
    provider: str
    key_preview: str
    status: int
    error_code: str
    latency_ms: float
    ttft_ms: float
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    cost_usd: float
    streamed: bool
    cache_hit: bool
    fallback_chain: _containers.RepeatedScalarFieldContainer[str]
    attempts: _containers.RepeatedCompositeFieldContainer[TraceAttempt]
    auth_ms: float
    plan_ms: float
    admission_ms: float
    def __init__(self, id: _Optional[str] = ..., created_ms: _Optional[int] = ..., client_id: _Optional[str] = ..., token_id: _Optional[str] = ..., agent: _Optional[str] = ..., requested_model: _Optional[str] = ..., alias: _Optional[str] = ..., kind: _Optional[str] = ..., model: _Optional[str] = ..., provider: _Optional[str] = ..., key_preview: _Optional[str] = ..., status: _Optional[int] = ..., error_code: _Optional[str] = ..., latency_ms: _Optional[float] = ..., ttft_ms: _Optional[float] = ..., prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., cached_tokens: _Optional[int] = ..., reasoning_tokens: _Optional[int] = ..., cost_usd: _Optional[float] = ..., streamed: _Optional[bool] = ..., cache_hit: _Optional[bool] = ..., fallback_chain: _Optional[_Iterable[str]] = ..., attempts: _Optional[_Iterable[_Union[TraceAttempt, _Mapping]]] = ..., auth_ms: _Optional[float] = ..., plan_ms: _Optional[float] = ..., admission_ms: _Optional[float] = ...) -> None: ...

class TraceSpan(_message.Message):
    __slots__ = ("name", "start_ms", "duration_ms", "provider", "model", "key", "status", "outcome")
    NAME_FIELD_NUMBER: _ClassVar[int]
    START_MS_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    name: str
    start_ms: float
    duration_ms: float
    provider: str
    model: str
    key: str
    status: int
    outcome: str
    def __init__(self, name: _Optional[str] = ..., start_ms: _Optional[float] = ..., duration_ms: _Optional[float] = ..., provider: _Optional[str] = ..., model: _Optional[str] = ..., key: _Optional[str] = ..., status: _Optional[int] = ..., outcome: _Optional[str] = ...) -> None: ...

class ListTracesResponse(_message.Message):
    __slots__ = ("traces", "has_more", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TRACES_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    traces: _containers.RepeatedCompositeFieldContainer[Trace]
    has_more: bool
    headers: _containers.ScalarMap[str, str]
    def __init__(self, traces: _Optional[_Iterable[_Union[Trace, _Mapping]]] = ..., has_more: _Optional[bool] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetTraceRequest(_message.Message):
    __slots__ = ("trace_id",)
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    def __init__(self, trace_id: _Optional[str] = ...) -> None: ...

class GetTraceResponse(_message.Message):
    __slots__ = ("trace", "headers", "content", "spans")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TRACE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    trace: Trace
    headers: _containers.ScalarMap[str, str]
    content: TraceContent
    spans: _containers.RepeatedCompositeFieldContainer[TraceSpan]
    def __init__(self, trace: _Optional[_Union[Trace, _Mapping]] = ..., headers: _Optional[_Mapping[str, str]] = ..., content: _Optional[_Union[TraceContent, _Mapping]] = ..., spans: _Optional[_Iterable[_Union[TraceSpan, _Mapping]]] = ...) -> None: ...

class TraceContent(_message.Message):
    __slots__ = ("captured", "input_messages_json", "output_messages_json", "input_truncated", "output_truncated")
    CAPTURED_FIELD_NUMBER: _ClassVar[int]
    INPUT_MESSAGES_JSON_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_MESSAGES_JSON_FIELD_NUMBER: _ClassVar[int]
    INPUT_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    captured: bool
    input_messages_json: str
    output_messages_json: str
    input_truncated: bool
    output_truncated: bool
    def __init__(self, captured: _Optional[bool] = ..., input_messages_json: _Optional[str] = ..., output_messages_json: _Optional[str] = ..., input_truncated: _Optional[bool] = ..., output_truncated: _Optional[bool] = ...) -> None: ...

class GetTraceStatsRequest(_message.Message):
    __slots__ = ("agent", "model", "status_class", "status_code", "start_time_ms", "end_time_ms", "kind", "min_latency_ms", "min_cost_usd", "raw_query")
    AGENT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_CLASS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    END_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MIN_LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    MIN_COST_USD_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    agent: str
    model: str
    status_class: StatusClass
    status_code: int
    start_time_ms: int
    end_time_ms: int
    kind: str
    min_latency_ms: float
    min_cost_usd: float
    raw_query: str
    def __init__(self, agent: _Optional[str] = ..., model: _Optional[str] = ..., status_class: _Optional[_Union[StatusClass, str]] = ..., status_code: _Optional[int] = ..., start_time_ms: _Optional[int] = ..., end_time_ms: _Optional[int] = ..., kind: _Optional[str] = ..., min_latency_ms: _Optional[float] = ..., min_cost_usd: _Optional[float] = ..., raw_query: _Optional[str] = ...) -> None: ...

class GetTraceStatsResponse(_message.Message):
    __slots__ = ("count", "success_count", "error_count", "latency_p95_ms", "cost_usd", "start_time_ms", "end_time_ms", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERROR_COUNT_FIELD_NUMBER: _ClassVar[int]
    LATENCY_P95_MS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    END_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    count: int
    success_count: int
    error_count: int
    latency_p95_ms: float
    cost_usd: float
    start_time_ms: int
    end_time_ms: int
    headers: _containers.ScalarMap[str, str]
    def __init__(self, count: _Optional[int] = ..., success_count: _Optional[int] = ..., error_count: _Optional[int] = ..., latency_p95_ms: _Optional[float] = ..., cost_usd: _Optional[float] = ..., start_time_ms: _Optional[int] = ..., end_time_ms: _Optional[int] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetStatsRequest(_message.Message):
    __slots__ = ("start_time_ms", "end_time_ms", "raw_query")
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    END_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    start_time_ms: int
    end_time_ms: int
    raw_query: str
    def __init__(self, start_time_ms: _Optional[int] = ..., end_time_ms: _Optional[int] = ..., raw_query: _Optional[str] = ...) -> None: ...

class GetStatsResponse(_message.Message):
    __slots__ = ("start_time_ms", "end_time_ms", "active_agents", "requests", "errors", "cost_usd", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    END_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_AGENTS_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    start_time_ms: int
    end_time_ms: int
    active_agents: int
    requests: int
    errors: int
    cost_usd: float
    headers: _containers.ScalarMap[str, str]
    def __init__(self, start_time_ms: _Optional[int] = ..., end_time_ms: _Optional[int] = ..., active_agents: _Optional[int] = ..., requests: _Optional[int] = ..., errors: _Optional[int] = ..., cost_usd: _Optional[float] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetFlowRequest(_message.Message):
    __slots__ = ("days", "limit", "raw_query")
    DAYS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    days: int
    limit: int
    raw_query: str
    def __init__(self, days: _Optional[int] = ..., limit: _Optional[int] = ..., raw_query: _Optional[str] = ...) -> None: ...

class FlowRow(_message.Message):
    __slots__ = ("requested_model", "served_model", "provider", "requests", "errors", "cost_usd")
    REQUESTED_MODEL_FIELD_NUMBER: _ClassVar[int]
    SERVED_MODEL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    requested_model: str
    served_model: str
    provider: str
    requests: int
    errors: int
    cost_usd: float
    def __init__(self, requested_model: _Optional[str] = ..., served_model: _Optional[str] = ..., provider: _Optional[str] = ..., requests: _Optional[int] = ..., errors: _Optional[int] = ..., cost_usd: _Optional[float] = ...) -> None: ...

class GetFlowResponse(_message.Message):
    __slots__ = ("rows", "truncated", "start_time_ms", "end_time_ms", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ROWS_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    END_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[FlowRow]
    truncated: bool
    start_time_ms: int
    end_time_ms: int
    headers: _containers.ScalarMap[str, str]
    def __init__(self, rows: _Optional[_Iterable[_Union[FlowRow, _Mapping]]] = ..., truncated: _Optional[bool] = ..., start_time_ms: _Optional[int] = ..., end_time_ms: _Optional[int] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetCapacityRequest(_message.Message):
    __slots__ = ("days", "key_limit", "raw_query")
    DAYS_FIELD_NUMBER: _ClassVar[int]
    KEY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    days: int
    key_limit: int
    raw_query: str
    def __init__(self, days: _Optional[int] = ..., key_limit: _Optional[int] = ..., raw_query: _Optional[str] = ...) -> None: ...

class ProviderCapacity(_message.Message):
    __slots__ = ("provider", "verdict", "suggested_keys", "headroom_pct", "attempts", "errors", "rate_limited", "rate_limited_share", "serving_keys", "eligible_keys", "registered_keys", "limit_source")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    SUGGESTED_KEYS_FIELD_NUMBER: _ClassVar[int]
    HEADROOM_PCT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMITED_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMITED_SHARE_FIELD_NUMBER: _ClassVar[int]
    SERVING_KEYS_FIELD_NUMBER: _ClassVar[int]
    ELIGIBLE_KEYS_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_KEYS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_SOURCE_FIELD_NUMBER: _ClassVar[int]
    provider: str
    verdict: str
    suggested_keys: int
    headroom_pct: float
    attempts: int
    errors: int
    rate_limited: int
    rate_limited_share: float
    serving_keys: int
    eligible_keys: int
    registered_keys: int
    limit_source: str
    def __init__(self, provider: _Optional[str] = ..., verdict: _Optional[str] = ..., suggested_keys: _Optional[int] = ..., headroom_pct: _Optional[float] = ..., attempts: _Optional[int] = ..., errors: _Optional[int] = ..., rate_limited: _Optional[int] = ..., rate_limited_share: _Optional[float] = ..., serving_keys: _Optional[int] = ..., eligible_keys: _Optional[int] = ..., registered_keys: _Optional[int] = ..., limit_source: _Optional[str] = ...) -> None: ...

class GetCapacityResponse(_message.Message):
    __slots__ = ("providers", "start_time_ms", "end_time_ms", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    END_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    providers: _containers.RepeatedCompositeFieldContainer[ProviderCapacity]
    start_time_ms: int
    end_time_ms: int
    headers: _containers.ScalarMap[str, str]
    def __init__(self, providers: _Optional[_Iterable[_Union[ProviderCapacity, _Mapping]]] = ..., start_time_ms: _Optional[int] = ..., end_time_ms: _Optional[int] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

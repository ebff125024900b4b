from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ModelSort(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODEL_SORT_UNSPECIFIED: _ClassVar[ModelSort]
    MODEL_SORT_USAGE: _ClassVar[ModelSort]
    MODEL_SORT_NAME: _ClassVar[ModelSort]
    MODEL_SORT_PROVIDER: _ClassVar[ModelSort]
    MODEL_SORT_CONTEXT: _ClassVar[ModelSort]
    MODEL_SORT_COST: _ClassVar[ModelSort]
MODEL_SORT_UNSPECIFIED: ModelSort
MODEL_SORT_USAGE: ModelSort
MODEL_SORT_NAME: ModelSort
MODEL_SORT_PROVIDER: ModelSort
MODEL_SORT_CONTEXT: ModelSort
MODEL_SORT_COST: ModelSort

class GetHealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetHealthResponse(_message.Message):
    __slots__ = ("status", "version", "uptime_seconds")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPTIME_SECONDS_FIELD_NUMBER: _ClassVar[int]
    status: str
    version: str
    uptime_seconds: float
    def __init__(self, status: _Optional[str] = ..., version: _Optional[str] = ..., uptime_seconds: _Optional[float] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ("provider", "free_only", "configured_only", "search", "capability", "sort_by", "limit", "offset", "kind", "raw_query")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    FREE_ONLY_FIELD_NUMBER: _ClassVar[int]
    CONFIGURED_ONLY_FIELD_NUMBER: _ClassVar[int]
    SEARCH_FIELD_NUMBER: _ClassVar[int]
    CAPABILITY_FIELD_NUMBER: _ClassVar[int]
    SORT_BY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    provider: str
    free_only: bool
    configured_only: bool
    search: str
    capability: str
    sort_by: ModelSort
    limit: int
    offset: int
    kind: str
    raw_query: str
    def __init__(self, provider: _Optional[str] = ..., free_only: _Optional[bool] = ..., configured_only: _Optional[bool] = ..., search: _Optional[str] = ..., capability: _Optional[str] = ..., sort_by: _Optional[_Union[ModelSort, str]] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., kind: _Optional[str] = ..., raw_query: _Optional[str] = ...) -> None: ...

class ModelPricing(_message.Message):
    __slots__ = ("input_per_million", "output_per_million", "cached_input_per_million")
    INPUT_PER_MILLION_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PER_MILLION_FIELD_NUMBER: _ClassVar[int]
    CACHED_INPUT_PER_MILLION_FIELD_NUMBER: _ClassVar[int]
    input_per_million: float
    output_per_million: float
    cached_input_per_million: float
    def __init__(self, input_per_million: _Optional[float] = ..., output_per_million: _Optional[float] = ..., cached_input_per_million: _Optional[float] = ...) -> None: ...

class Model(_message.Message):
    __slots__ = ("id", "created", "owned_by", "provider", "provider_model", "display_name", "context_window", "max_output_tokens", "capabilities", "free_tier", "is_configured", "in_task_aliases", "pricing", "kind", "chain", "use_case", "falls_through_to", "supports_tools", "last_probe_status", "probed_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    OWNED_BY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_MODEL_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_WINDOW_FIELD_NUMBER: _ClassVar[int]
    MAX_OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    FREE_TIER_FIELD_NUMBER: _ClassVar[int]
    IS_CONFIGURED_FIELD_NUMBER: _ClassVar[int]
    IN_TASK_ALIASES_FIELD_NUMBER: _ClassVar[int]
    PRICING_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    USE_CASE_FIELD_NUMBER: _ClassVar[int]
    FALLS_THROUGH_TO_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_TOOLS_FIELD_NUMBER: _ClassVar[int]
    LAST_PROBE_STATUS_FIELD_NUMBER: _ClassVar[int]
    PROBED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    created: int
    owned_by: str
    provider: str
    provider_model: str
    display_name: str
    context_window: int
    max_output_tokens: int
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    free_tier: bool
    is_configured: bool
    in_task_aliases: _containers.RepeatedScalarFieldContainer[str]
    pricing: ModelPricing
    kind: str
    chain: _containers.RepeatedCompositeFieldContainer[AliasCandidate]
    use_case: str
    falls_through_to: str
    supports_tools: bool
    last_probe_status: str
    probed_at: str
    def __init__(self, id: _Optional[str] = ..., created: _Optional[int] = ..., owned_by: _Optional[str] = ..., provider: _Optional[str] = ..., provider_model: _Optional[str] = ..., display_name: _Optional[str] = ..., context_window: _Optional[int] = ..., max_output_tokens: _Optional[int] = ..., capabilities: _Optional[_Iterable[str]] = ..., free_tier: _Optional[bool] = ..., is_configured: _Optional[bool] = ..., in_task_aliases: _Optional[_Iterable[str]] = ..., pricing: _Optional[_Union[ModelPricing, _Mapping]] = ..., kind: _Optional[str] = ..., chain: _Optional[_Iterable[_Union[AliasCandidate, _Mapping]]] = ..., use_case: _Optional[str] = ..., falls_through_to: _Optional[str] = ..., supports_tools: _Optional[bool] = ..., last_probe_status: _Optional[str] = ..., probed_at: _Optional[str] = ...) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models", "total", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODELS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[Model]
    total: int
    headers: _containers.ScalarMap[str, str]
    def __init__(self, models: _Optional[_Iterable[_Union[Model, _Mapping]]] = ..., total: _Optional[int] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetModelRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetModelResponse(_message.Message):
    __slots__ = ("model", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODEL_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    model: Model
    headers: _containers.ScalarMap[str, str]
    def __init__(self, model: _Optional[_Union[Model, _Mapping]] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListAliasesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AliasCandidate(_message.Message):
    __slots__ = ("provider", "model")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    provider: str
    model: str
    def __init__(self, provider: _Optional[str] = ..., model: _Optional[str] = ...) -> None: ...

class Alias(_message.Message):
    __slots__ = ("id", "use_case", "models", "candidates", "pii_safe", "falls_through_to")
    ID_FIELD_NUMBER: _ClassVar[int]
    USE_CASE_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    PII_SAFE_FIELD_NUMBER: _ClassVar[int]
    FALLS_THROUGH_TO_FIELD_NUMBER: _ClassVar[int]
    id: str
    use_case: str
    models: _containers.RepeatedScalarFieldContainer[str]
    candidates: _containers.RepeatedCompositeFieldContainer[AliasCandidate]
    pii_safe: bool
    falls_through_to: str
    def __init__(self, id: _Optional[str] = ..., use_case: _Optional[str] = ..., models: _Optional[_Iterable[str]] = ..., candidates: _Optional[_Iterable[_Union[AliasCandidate, _Mapping]]] = ..., pii_safe: _Optional[bool] = ..., falls_through_to: _Optional[str] = ...) -> None: ...

class ListAliasesResponse(_message.Message):
    __slots__ = ("aliases", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    aliases: _containers.RepeatedCompositeFieldContainer[Alias]
    headers: _containers.ScalarMap[str, str]
    def __init__(self, aliases: _Optional[_Iterable[_Union[Alias, _Mapping]]] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListProvidersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Provider(_message.Message):
    __slots__ = ("id", "name", "api_format", "free_tier", "free_tier_note", "is_configured", "base_url", "local")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    API_FORMAT_FIELD_NUMBER: _ClassVar[int]
    FREE_TIER_FIELD_NUMBER: _ClassVar[int]
    FREE_TIER_NOTE_FIELD_NUMBER: _ClassVar[int]
    IS_CONFIGURED_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    LOCAL_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    api_format: str
    free_tier: bool
    free_tier_note: str
    is_configured: bool
    base_url: str
    local: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., api_format: _Optional[str] = ..., free_tier: _Optional[bool] = ..., free_tier_note: _Optional[str] = ..., is_configured: _Optional[bool] = ..., base_url: _Optional[str] = ..., local: _Optional[bool] = ...) -> None: ...

class ListProvidersResponse(_message.Message):
    __slots__ = ("providers", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    providers: _containers.RepeatedCompositeFieldContainer[Provider]
    headers: _containers.ScalarMap[str, str]
    def __init__(self, providers: _Optional[_Iterable[_Union[Provider, _Mapping]]] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SpendPeriod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPEND_PERIOD_UNSPECIFIED: _ClassVar[SpendPeriod]
    SPEND_PERIOD_DAILY: _ClassVar[SpendPeriod]
    SPEND_PERIOD_MONTHLY: _ClassVar[SpendPeriod]

class SpendAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SPEND_ACTION_UNSPECIFIED: _ClassVar[SpendAction]
    SPEND_ACTION_WARN: _ClassVar[SpendAction]
    SPEND_ACTION_BLOCK: _ClassVar[SpendAction]

class KeyState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    KEY_STATE_UNSPECIFIED: _ClassVar[KeyState]
    KEY_STATE_HEALTHY: _ClassVar[KeyState]
    KEY_STATE_DEGRADED: _ClassVar[KeyState]
    KEY_STATE_UNHEALTHY: _ClassVar[KeyState]
    KEY_STATE_COOLDOWN: _ClassVar[KeyState]
    KEY_STATE_INVALID: _ClassVar[KeyState]
    KEY_STATE_INACTIVE: _ClassVar[KeyState]
SPEND_PERIOD_UNSPECIFIED: SpendPeriod
SPEND_PERIOD_DAILY: SpendPeriod
SPEND_PERIOD_MONTHLY: SpendPeriod
SPEND_ACTION_UNSPECIFIED: SpendAction
SPEND_ACTION_WARN: SpendAction
SPEND_ACTION_BLOCK: SpendAction
KEY_STATE_UNSPECIFIED: KeyState
KEY_STATE_HEALTHY: KeyState
KEY_STATE_DEGRADED: KeyState
KEY_STATE_UNHEALTHY: KeyState
KEY_STATE_COOLDOWN: KeyState
KEY_STATE_INVALID: KeyState
KEY_STATE_INACTIVE: KeyState

class ProviderKey(_message.Message):
    __slots__ = ("id", "client_id", "provider", "preview", "base_url", "label", "active", "primary", "priority", "rpm_limit", "rpd_limit", "spend_limit_usd", "spend_period", "spend_action", "supports_embeddings", "shared", "created", "updated", "state")
    ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    RPM_LIMIT_FIELD_NUMBER: _ClassVar[int]
    RPD_LIMIT_FIELD_NUMBER: _ClassVar[int]
    SPEND_LIMIT_USD_FIELD_NUMBER: _ClassVar[int]
    SPEND_PERIOD_FIELD_NUMBER: _ClassVar[int]
    SPEND_ACTION_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    SHARED_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    id: str
    client_id: str
    provider: str
    preview: str
    base_url: str
    label: str
    active: bool
    primary: bool
    priority: int
    rpm_limit: int
    rpd_limit: int
    spend_limit_usd: float
    spend_period: SpendPeriod
    spend_action: SpendAction
    supports_embeddings: bool
    shared: bool
    created: int
    updated: int
    state: KeyState
    def __init__(self, id: _Optional[str] = ..., client_id: _Optional[str] = ..., provider: _Optional[str] = ..., preview: _Optional[str] = ..., base_url: _Optional[str] = ..., label: _Optional[str] = ..., active: _Optional[bool] = ..., primary: _Optional[bool] = ..., priority: _Optional[int] = ..., rpm_limit: _Optional[int] = ..., rpd_limit: _Optional[int] = ..., spend_limit_usd: _Optional[float] = ..., spend_period: _Optional[_Union[SpendPeriod, str]] = ..., spend_action: _Optional[_Union[SpendAction, str]] = ..., supports_embeddings: _Optional[bool] = ..., shared: _Optional[bool] = ..., created: _Optional[int] = ..., updated: _Optional[int] = ..., state: _Optional[_Union[KeyState, str]] = ...) -> None: ...

class CreateKeyRequest(_message.Message):
    __slots__ = ("provider", "secret", "base_url", "label", "primary", "priority", "rpm_limit", "rpd_limit", "spend_limit_usd", "spend_period", "spend_action", "supports_embeddings", "shared", "test_connection", "test_model", "raw_body")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    RPM_LIMIT_FIELD_NUMBER: _ClassVar[int]
    RPD_LIMIT_FIELD_NUMBER: _ClassVar[int]
    SPEND_LIMIT_USD_FIELD_NUMBER: _ClassVar[int]
    SPEND_PERIOD_FIELD_NUMBER: _ClassVar[int]
    SPEND_ACTION_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    SHARED_FIELD_NUMBER: _ClassVar[int]
    TEST_CONNECTION_FIELD_NUMBER: _ClassVar[int]
    TEST_MODEL_FIELD_NUMBER: _ClassVar[int]
    RAW_BODY_FIELD_NUMBER: _ClassVar[int]
    provider: str
    secret: str
    base_url: str
    label: str
    primary: bool
    priority: int
    rpm_limit: int
    rpd_limit: int
    spend_limit_usd: float
    spend_period: SpendPeriod
    spend_action: SpendAction
    supports_embeddings: bool
    shared: bool
    test_connection: bool
    test_model: str
    raw_body: bytes
    def __init__(self, provider: _Optional[str] = ..., secret: _Optional[str] = ..., base_url: _Optional[str] = ..., label: _Optional[str] = ..., primary: _Optional[bool] = ..., priority: _Optional[int] = ..., rpm_limit: _Optional[int] = ..., rpd_limit: _Optional[int] = ..., spend_limit_usd: _Optional[float] = ..., spend_period: _Optional[_Union[SpendPeriod, str]] = ..., spend_action: _Optional[_Union[SpendAction, str]] = ..., supports_embeddings: _Optional[bool] = ..., shared: _Optional[bool] = ..., test_connection: _Optional[bool] = ..., test_model: _Optional[str] = ..., raw_body: _Optional[bytes] = ...) -> None: ...

class CreateKeyResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: ProviderKey
    def __init__(self, key: _Optional[_Union[ProviderKey, _Mapping]] = ...) -> None: ...

class ListKeysRequest(_message.Message):
    __slots__ = ("provider", "active", "include_pool", "state", "raw_query")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_POOL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    provider: str
    active: bool
    include_pool: bool
    state: KeyState
    raw_query: str
    def __init__(self, provider: _Optional[str] = ..., active: _Optional[bool] = ..., include_pool: _Optional[bool] = ..., state: _Optional[_Union[KeyState, str]] = ..., raw_query: _Optional[str] = ...) -> None: ...

class ListKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[ProviderKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[ProviderKey, _Mapping]]] = ...) -> None: ...

class GetKeyRequest(_message.Message):
    __slots__ = ("key_id",)
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class GetKeyResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: ProviderKey
    def __init__(self, key: _Optional[_Union[ProviderKey, _Mapping]] = ...) -> None: ...

class UpdateKeyRequest(_message.Message):
    __slots__ = ("key_id", "secret", "base_url", "label", "active", "primary", "priority", "rpm_limit", "rpd_limit", "spend_limit_usd", "spend_period", "spend_action", "supports_embeddings", "shared", "test_connection", "test_model", "raw_body")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    BASE_URL_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    RPM_LIMIT_FIELD_NUMBER: _ClassVar[int]
    RPD_LIMIT_FIELD_NUMBER: _ClassVar[int]
    SPEND_LIMIT_USD_FIELD_NUMBER: _ClassVar[int]
    SPEND_PERIOD_FIELD_NUMBER: _ClassVar[int]
    SPEND_ACTION_FIELD_NUMBER: _ClassVar[int]
    SUPPORTS_EMBEDDINGS_FIELD_NUMBER: _ClassVar[int]
    SHARED_FIELD_NUMBER: _ClassVar[int]
    TEST_CONNECTION_FIELD_NUMBER: _ClassVar[int]
    TEST_MODEL_FIELD_NUMBER: _ClassVar[int]
    RAW_BODY_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    secret: str
    base_url: str
    label: str
    active: bool
    primary: bool
    priority: int
    rpm_limit: int
    rpd_limit: int
    spend_limit_usd: float
    spend_period: SpendPeriod
    spend_action: SpendAction
    supports_embeddings: bool
    shared: bool
    test_connection: bool
    test_model: str
    raw_body: bytes
    def __init__(self, key_id: _Optional[str] = ..., secret: _Optional[str] = ..., base_url: _Optional[str] = ..., label: _Optional[str] = ..., active: _Optional[bool] = ..., primary: _Optional[bool] = ..., priority: _Optional[int] = ..., rpm_limit: _Optional[int] = ..., rpd_limit: _Optional[int] = ..., spend_limit_usd: _Optional[float] = ..., spend_period: _Optional[_Union[SpendPeriod, str]] = ..., spend_action: _Optional[_Union[SpendAction, str]] = ..., supports_embeddings: _Optional[bool] = ..., shared: _Optional[bool] = ..., test_connection: _Optional[bool] = ..., test_model: _Optional[str] = ..., raw_body: _Optional[bytes] = ...) -> None: ...

class UpdateKeyResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: ProviderKey
    def __init__(self, key: _Optional[_Union[ProviderKey, _Mapping]] = ...) -> None: ...

class DeleteKeyRequest(_message.Message):
    __slots__ = ("key_id",)
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class DeleteKeyResponse(_message.Message):
    __slots__ = ("key_id", "deleted")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    deleted: bool
    def __init__(self, key_id: _Optional[str] = ..., deleted: _Optional[bool] = ...) -> None: ...

class DeactivateKeyRequest(_message.Message):
    __slots__ = ("key_id",)
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class DeactivateKeyResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: ProviderKey
    def __init__(self, key: _Optional[_Union[ProviderKey, _Mapping]] = ...) -> None: ...

class ActivateKeyRequest(_message.Message):
    __slots__ = ("key_id",)
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class ActivateKeyResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: ProviderKey
    def __init__(self, key: _Optional[_Union[ProviderKey, _Mapping]] = ...) -> None: ...

class GetHealthSummaryRequest(_message.Message):
    __slots__ = ("provider", "include_pool", "raw_query")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_POOL_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    provider: str
    include_pool: bool
    raw_query: str
    def __init__(self, provider: _Optional[str] = ..., include_pool: _Optional[bool] = ..., raw_query: _Optional[str] = ...) -> None: ...

class KeyHealth(_message.Message):
    __slots__ = ("key_id", "preview", "label", "pool", "state", "failures", "last_error", "cooldown_seconds", "spend_usd", "spend_limit_usd", "spend_period", "spend_blocked")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SPEND_USD_FIELD_NUMBER: _ClassVar[int]
    SPEND_LIMIT_USD_FIELD_NUMBER: _ClassVar[int]
    SPEND_PERIOD_FIELD_NUMBER: _ClassVar[int]
    SPEND_BLOCKED_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    preview: str
    label: str
    pool: bool
    state: KeyState
    failures: int
    last_error: str
    cooldown_seconds: float
    spend_usd: float
    spend_limit_usd: float
    spend_period: SpendPeriod
    spend_blocked: bool
    def __init__(self, key_id: _Optional[str] = ..., preview: _Optional[str] = ..., label: _Optional[str] = ..., pool: _Optional[bool] = ..., state: _Optional[_Union[KeyState, str]] = ..., failures: _Optional[int] = ..., last_error: _Optional[str] = ..., cooldown_seconds: _Optional[float] = ..., spend_usd: _Optional[float] = ..., spend_limit_usd: _Optional[float] = ..., spend_period: _Optional[_Union[SpendPeriod, str]] = ..., spend_blocked: _Optional[bool] = ...) -> None: ...

class ProviderHealth(_message.Message):
    __slots__ = ("provider", "keys", "recommendation")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDATION_FIELD_NUMBER: _ClassVar[int]
    provider: str
    keys: _containers.RepeatedCompositeFieldContainer[KeyHealth]
    recommendation: str
    def __init__(self, provider: _Optional[str] = ..., keys: _Optional[_Iterable[_Union[KeyHealth, _Mapping]]] = ..., recommendation: _Optional[str] = ...) -> None: ...

class GetHealthSummaryResponse(_message.Message):
    __slots__ = ("providers",)
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    providers: _containers.RepeatedCompositeFieldContainer[ProviderHealth]
    def __init__(self, providers: _Optional[_Iterable[_Union[ProviderHealth, _Mapping]]] = ...) -> None: ...

from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChainSlot(_message.Message):
    __slots__ = ("provider", "model")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    provider: str
    model: str
    def __init__(self, provider: _Optional[str] = ..., model: _Optional[str] = ...) -> None: ...

class AliasHistoryEntry(_message.Message):
    __slots__ = ("id", "alias_id", "version", "chain", "actor", "reason", "created")
    ID_FIELD_NUMBER: _ClassVar[int]
    ALIAS_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    id: int
    alias_id: str
    version: int
    chain: _containers.RepeatedCompositeFieldContainer[ChainSlot]
    actor: str
    reason: str
    created: int
    def __init__(self, id: _Optional[int] = ..., alias_id: _Optional[str] = ..., version: _Optional[int] = ..., chain: _Optional[_Iterable[_Union[ChainSlot, _Mapping]]] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ..., created: _Optional[int] = ...) -> None: ...

class AdminAlias(_message.Message):
    __slots__ = ("id", "kind", "use_case", "requires", "tool_alias", "chain", "falls_through_to", "pii_safe", "version", "history")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    USE_CASE_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_FIELD_NUMBER: _ClassVar[int]
    TOOL_ALIAS_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    FALLS_THROUGH_TO_FIELD_NUMBER: _ClassVar[int]
    PII_SAFE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: str
    use_case: str
    requires: _containers.RepeatedScalarFieldContainer[str]
    tool_alias: bool
    chain: _containers.RepeatedCompositeFieldContainer[ChainSlot]
    falls_through_to: str
    pii_safe: bool
    version: int
    history: _containers.RepeatedCompositeFieldContainer[AliasHistoryEntry]
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[str] = ..., use_case: _Optional[str] = ..., requires: _Optional[_Iterable[str]] = ..., tool_alias: _Optional[bool] = ..., chain: _Optional[_Iterable[_Union[ChainSlot, _Mapping]]] = ..., falls_through_to: _Optional[str] = ..., pii_safe: _Optional[bool] = ..., version: _Optional[int] = ..., history: _Optional[_Iterable[_Union[AliasHistoryEntry, _Mapping]]] = ...) -> None: ...

class ListAdminAliasesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAdminAliasesResponse(_message.Message):
    __slots__ = ("aliases",)
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    aliases: _containers.RepeatedCompositeFieldContainer[AdminAlias]
    def __init__(self, aliases: _Optional[_Iterable[_Union[AdminAlias, _Mapping]]] = ...) -> None: ...

class GetAdminAliasRequest(_message.Message):
    __slots__ = ("alias_id",)
    ALIAS_ID_FIELD_NUMBER: _ClassVar[int]
    alias_id: str
    def __init__(self, alias_id: _Optional[str] = ...) -> None: ...

class GetAdminAliasResponse(_message.Message):
    __slots__ = ("alias",)
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    alias: AdminAlias
    def __init__(self, alias: _Optional[_Union[AdminAlias, _Mapping]] = ...) -> None: ...

class ValidateChainRequest(_message.Message):
    __slots__ = ("alias_id", "chain", "raw_body")
    ALIAS_ID_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    RAW_BODY_FIELD_NUMBER: _ClassVar[int]
    alias_id: str
    chain: _containers.RepeatedCompositeFieldContainer[ChainSlot]
    raw_body: bytes
    def __init__(self, alias_id: _Optional[str] = ..., chain: _Optional[_Iterable[_Union[ChainSlot, _Mapping]]] = ..., raw_body: _Optional[bytes] = ...) -> None: ...

class SlotVerdict(_message.Message):
    __slots__ = ("slot", "provider", "model", "verdict", "message", "latency_ms", "key_id")
    SLOT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    slot: int
    provider: str
    model: str
    verdict: str
    message: str
    latency_ms: float
    key_id: str
    def __init__(self, slot: _Optional[int] = ..., provider: _Optional[str] = ..., model: _Optional[str] = ..., verdict: _Optional[str] = ..., message: _Optional[str] = ..., latency_ms: _Optional[float] = ..., key_id: _Optional[str] = ...) -> None: ...

class ValidateChainResponse(_message.Message):
    __slots__ = ("alias_id", "slots", "all_ok")
    ALIAS_ID_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    ALL_OK_FIELD_NUMBER: _ClassVar[int]
    alias_id: str
    slots: _containers.RepeatedCompositeFieldContainer[SlotVerdict]
    all_ok: bool
    def __init__(self, alias_id: _Optional[str] = ..., slots: _Optional[_Iterable[_Union[SlotVerdict, _Mapping]]] = ..., all_ok: _Optional[bool] = ...) -> None: ...

class ReplaceChainRequest(_message.Message):
    __slots__ = ("alias_id", "chain", "reason", "raw_body")
    ALIAS_ID_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RAW_BODY_FIELD_NUMBER: _ClassVar[int]
    alias_id: str
    chain: _containers.RepeatedCompositeFieldContainer[ChainSlot]
    reason: str
    raw_body: bytes
    def __init__(self, alias_id: _Optional[str] = ..., chain: _Optional[_Iterable[_Union[ChainSlot, _Mapping]]] = ..., reason: _Optional[str] = ..., raw_body: _Optional[bytes] = ...) -> None: ...

class ReplaceChainResponse(_message.Message):
    __slots__ = ("alias",)
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    alias: AdminAlias
    def __init__(self, alias: _Optional[_Union[AdminAlias, _Mapping]] = ...) -> None: ...

class RollbackChainRequest(_message.Message):
    __slots__ = ("alias_id", "history_id", "reason", "raw_body")
    ALIAS_ID_FIELD_NUMBER: _ClassVar[int]
    HISTORY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RAW_BODY_FIELD_NUMBER: _ClassVar[int]
    alias_id: str
    history_id: int
    reason: str
    raw_body: bytes
    def __init__(self, alias_id: _Optional[str] = ..., history_id: _Optional[int] = ..., reason: _Optional[str] = ..., raw_body: _Optional[bytes] = ...) -> None: ...

class RollbackChainResponse(_message.Message):
    __slots__ = ("alias",)
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    alias: AdminAlias
    def __init__(self, alias: _Optional[_Union[AdminAlias, _Mapping]] = ...) -> None: ...

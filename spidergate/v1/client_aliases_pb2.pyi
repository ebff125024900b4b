from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AliasSlot(_message.Message):
    __slots__ = ("key_id", "provider", "model", "enabled", "key_label", "cost_type", "key_active")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    KEY_LABEL_FIELD_NUMBER: _ClassVar[int]
    COST_TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    provider: str
    model: str
    enabled: bool
    key_label: str
    cost_type: str
    key_active: bool
    def __init__(self, key_id: _Optional[str] = ..., provider: _Optional[str] = ..., model: _Optional[str] = ..., enabled: _Optional[bool] = ..., key_label: _Optional[str] = ..., cost_type: _Optional[str] = ..., key_active: _Optional[bool] = ...) -> None: ...

class ClientAlias(_message.Message):
    __slots__ = ("name", "model", "description", "enabled", "slots", "created", "updated")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    name: str
    model: str
    description: str
    enabled: bool
    slots: _containers.RepeatedCompositeFieldContainer[AliasSlot]
    created: int
    updated: int
    def __init__(self, name: _Optional[str] = ..., model: _Optional[str] = ..., description: _Optional[str] = ..., enabled: _Optional[bool] = ..., slots: _Optional[_Iterable[_Union[AliasSlot, _Mapping]]] = ..., created: _Optional[int] = ..., updated: _Optional[int] = ...) -> None: ...

class ListClientAliasesRequest(_message.Message):
    __slots__ = ("limit", "offset", "raw_query")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    limit: int
    offset: int
    raw_query: str
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ..., raw_query: _Optional[str] = ...) -> None: ...

class ListClientAliasesResponse(_message.Message):
    __slots__ = ("aliases", "has_more")
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    aliases: _containers.RepeatedCompositeFieldContainer[ClientAlias]
    has_more: bool
    def __init__(self, aliases: _Optional[_Iterable[_Union[ClientAlias, _Mapping]]] = ..., has_more: _Optional[bool] = ...) -> None: ...

class CreateClientAliasRequest(_message.Message):
    __slots__ = ("name", "description", "enabled", "slots", "raw_body")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    RAW_BODY_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    enabled: bool
    slots: _containers.RepeatedCompositeFieldContainer[AliasSlot]
    raw_body: bytes
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., enabled: _Optional[bool] = ..., slots: _Optional[_Iterable[_Union[AliasSlot, _Mapping]]] = ..., raw_body: _Optional[bytes] = ...) -> None: ...

class CreateClientAliasResponse(_message.Message):
    __slots__ = ("alias",)
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    alias: ClientAlias
    def __init__(self, alias: _Optional[_Union[ClientAlias, _Mapping]] = ...) -> None: ...

class GetClientAliasRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetClientAliasResponse(_message.Message):
    __slots__ = ("alias",)
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    alias: ClientAlias
    def __init__(self, alias: _Optional[_Union[ClientAlias, _Mapping]] = ...) -> None: ...

class UpdateClientAliasRequest(_message.Message):
    __slots__ = ("name", "description", "clear_description", "enabled", "replace_slots", "slots", "raw_body")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CLEAR_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    REPLACE_SLOTS_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    RAW_BODY_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    clear_description: bool
    enabled: bool
    replace_slots: bool
    slots: _containers.RepeatedCompositeFieldContainer[AliasSlot]
    raw_body: bytes
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., clear_description: _Optional[bool] = ..., enabled: _Optional[bool] = ..., replace_slots: _Optional[bool] = ..., slots: _Optional[_Iterable[_Union[AliasSlot, _Mapping]]] = ..., raw_body: _Optional[bytes] = ...) -> None: ...

class UpdateClientAliasResponse(_message.Message):
    __slots__ = ("alias",)
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    alias: ClientAlias
    def __init__(self, alias: _Optional[_Union[ClientAlias, _Mapping]] = ...) -> None: ...

class DeleteClientAliasRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteClientAliasResponse(_message.Message):
    __slots__ = ("name", "deleted")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    name: str
    deleted: bool
    def __init__(self, name: _Optional[str] = ..., deleted: _Optional[bool] = ...) -> None: ...

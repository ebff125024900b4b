from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PromptSettings(_message.Message):
    __slots__ = ("temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty", "stop", "seed")
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TOP_P_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    PRESENCE_PENALTY_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_PENALTY_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    temperature: float
    top_p: float
    max_tokens: int
    presence_penalty: float
    frequency_penalty: float
    stop: _containers.RepeatedScalarFieldContainer[str]
    seed: int
    def __init__(self, temperature: _Optional[float] = ..., top_p: _Optional[float] = ..., max_tokens: _Optional[int] = ..., presence_penalty: _Optional[float] = ..., frequency_penalty: _Optional[float] = ..., stop: _Optional[_Iterable[str]] = ..., seed: _Optional[int] = ...) -> None: ...

class SavedPrompt(_message.Message):
    __slots__ = ("id", "project_id", "name", "description", "system_prompt", "model", "settings", "variables", "version", "created", "updated", "last_used")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_PROMPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    name: str
    description: str
    system_prompt: str
    model: str
    settings: PromptSettings
    variables: _containers.RepeatedScalarFieldContainer[str]
    version: int
    created: int
    updated: int
    last_used: int
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., system_prompt: _Optional[str] = ..., model: _Optional[str] = ..., settings: _Optional[_Union[PromptSettings, _Mapping]] = ..., variables: _Optional[_Iterable[str]] = ..., version: _Optional[int] = ..., created: _Optional[int] = ..., updated: _Optional[int] = ..., last_used: _Optional[int] = ...) -> None: ...

class CreatePromptRequest(_message.Message):
    __slots__ = ("project_id", "name", "description", "system_prompt", "model", "settings", "variables", "raw_body")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_PROMPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    RAW_BODY_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    name: str
    description: str
    system_prompt: str
    model: str
    settings: PromptSettings
    variables: _containers.RepeatedScalarFieldContainer[str]
    raw_body: bytes
    def __init__(self, project_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., system_prompt: _Optional[str] = ..., model: _Optional[str] = ..., settings: _Optional[_Union[PromptSettings, _Mapping]] = ..., variables: _Optional[_Iterable[str]] = ..., raw_body: _Optional[bytes] = ...) -> None: ...

class CreatePromptResponse(_message.Message):
    __slots__ = ("prompt", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    prompt: SavedPrompt
    headers: _containers.ScalarMap[str, str]
    def __init__(self, prompt: _Optional[_Union[SavedPrompt, _Mapping]] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListPromptsRequest(_message.Message):
    __slots__ = ("limit", "offset", "project_id", "raw_query")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    limit: int
    offset: int
    project_id: str
    raw_query: str
    def __init__(self, limit: _Optional[int] = ..., offset: _Optional[int] = ..., project_id: _Optional[str] = ..., raw_query: _Optional[str] = ...) -> None: ...

class ListPromptsResponse(_message.Message):
    __slots__ = ("prompts", "has_more", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROMPTS_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    prompts: _containers.RepeatedCompositeFieldContainer[SavedPrompt]
    has_more: bool
    headers: _containers.ScalarMap[str, str]
    def __init__(self, prompts: _Optional[_Iterable[_Union[SavedPrompt, _Mapping]]] = ..., has_more: _Optional[bool] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SearchPromptsRequest(_message.Message):
    __slots__ = ("q", "limit", "offset", "project_id", "raw_query")
    Q_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    q: str
    limit: int
    offset: int
    project_id: str
    raw_query: str
    def __init__(self, q: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., project_id: _Optional[str] = ..., raw_query: _Optional[str] = ...) -> None: ...

class SearchPromptsResponse(_message.Message):
    __slots__ = ("prompts", "has_more", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROMPTS_FIELD_NUMBER: _ClassVar[int]
    HAS_MORE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    prompts: _containers.RepeatedCompositeFieldContainer[SavedPrompt]
    has_more: bool
    headers: _containers.ScalarMap[str, str]
    def __init__(self, prompts: _Optional[_Iterable[_Union[SavedPrompt, _Mapping]]] = ..., has_more: _Optional[bool] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GetPromptRequest(_message.Message):
    __slots__ = ("prompt_id", "version", "raw_query")
    PROMPT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    prompt_id: str
    version: int
    raw_query: str
    def __init__(self, prompt_id: _Optional[str] = ..., version: _Optional[int] = ..., raw_query: _Optional[str] = ...) -> None: ...

class GetPromptResponse(_message.Message):
    __slots__ = ("prompt", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    prompt: SavedPrompt
    headers: _containers.ScalarMap[str, str]
    def __init__(self, prompt: _Optional[_Union[SavedPrompt, _Mapping]] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class UpdatePromptRequest(_message.Message):
    __slots__ = ("prompt_id", "name", "description", "system_prompt", "model", "settings", "variables", "set_variables", "raw_body")
    PROMPT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_PROMPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    SET_VARIABLES_FIELD_NUMBER: _ClassVar[int]
    RAW_BODY_FIELD_NUMBER: _ClassVar[int]
    prompt_id: str
    name: str
    description: str
    system_prompt: str
    model: str
    settings: PromptSettings
    variables: _containers.RepeatedScalarFieldContainer[str]
    set_variables: bool
    raw_body: bytes
    def __init__(self, prompt_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., system_prompt: _Optional[str] = ..., model: _Optional[str] = ..., settings: _Optional[_Union[PromptSettings, _Mapping]] = ..., variables: _Optional[_Iterable[str]] = ..., set_variables: _Optional[bool] = ..., raw_body: _Optional[bytes] = ...) -> None: ...

class UpdatePromptResponse(_message.Message):
    __slots__ = ("prompt", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    prompt: SavedPrompt
    headers: _containers.ScalarMap[str, str]
    def __init__(self, prompt: _Optional[_Union[SavedPrompt, _Mapping]] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class DeletePromptRequest(_message.Message):
    __slots__ = ("prompt_id",)
    PROMPT_ID_FIELD_NUMBER: _ClassVar[int]
    prompt_id: str
    def __init__(self, prompt_id: _Optional[str] = ...) -> None: ...

class DeletePromptResponse(_message.Message):
    __slots__ = ("prompt_id", "deleted", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROMPT_ID_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    prompt_id: str
    deleted: bool
    headers: _containers.ScalarMap[str, str]
    def __init__(self, prompt_id: _Optional[str] = ..., deleted: _Optional[bool] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

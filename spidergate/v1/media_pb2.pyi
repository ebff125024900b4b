from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListMediaModelsRequest(_message.Message):
    __slots__ = ("modality", "include_inactive", "raw_query")
    MODALITY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    RAW_QUERY_FIELD_NUMBER: _ClassVar[int]
    modality: str
    include_inactive: bool
    raw_query: str
    def __init__(self, modality: _Optional[str] = ..., include_inactive: _Optional[bool] = ..., raw_query: _Optional[str] = ...) -> None: ...

class MediaInput(_message.Message):
    __slots__ = ("type", "required", "max_length", "enum", "default_json", "min", "max", "step")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    MAX_LENGTH_FIELD_NUMBER: _ClassVar[int]
    ENUM_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_JSON_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    type: str
    required: bool
    max_length: int
    enum: _containers.RepeatedScalarFieldContainer[str]
    default_json: bytes
    min: float
    max: float
    step: float
    def __init__(self, type: _Optional[str] = ..., required: _Optional[bool] = ..., max_length: _Optional[int] = ..., enum: _Optional[_Iterable[str]] = ..., default_json: _Optional[bytes] = ..., min: _Optional[float] = ..., max: _Optional[float] = ..., step: _Optional[float] = ...) -> None: ...

class MediaPricing(_message.Message):
    __slots__ = ("per_image_usd", "per_character_usd", "per_audio_second_usd")
    PER_IMAGE_USD_FIELD_NUMBER: _ClassVar[int]
    PER_CHARACTER_USD_FIELD_NUMBER: _ClassVar[int]
    PER_AUDIO_SECOND_USD_FIELD_NUMBER: _ClassVar[int]
    per_image_usd: float
    per_character_usd: float
    per_audio_second_usd: float
    def __init__(self, per_image_usd: _Optional[float] = ..., per_character_usd: _Optional[float] = ..., per_audio_second_usd: _Optional[float] = ...) -> None: ...

class MediaModel(_message.Message):
    __slots__ = ("id", "provider", "display_name", "modality", "status", "inputs", "pricing")
    class InputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: MediaInput
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[MediaInput, _Mapping]] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    MODALITY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    PRICING_FIELD_NUMBER: _ClassVar[int]
    id: str
    provider: str
    display_name: str
    modality: str
    status: str
    inputs: _containers.MessageMap[str, MediaInput]
    pricing: MediaPricing
    def __init__(self, id: _Optional[str] = ..., provider: _Optional[str] = ..., display_name: _Optional[str] = ..., modality: _Optional[str] = ..., status: _Optional[str] = ..., inputs: _Optional[_Mapping[str, MediaInput]] = ..., pricing: _Optional[_Union[MediaPricing, _Mapping]] = ...) -> None: ...

class ListMediaModelsResponse(_message.Message):
    __slots__ = ("models", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODELS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[MediaModel]
    headers: _containers.ScalarMap[str, str]
    def __init__(self, models: _Optional[_Iterable[_Union[MediaModel, _Mapping]]] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateMediaGenerationRequest(_message.Message):
    __slots__ = ("model", "params_json", "prompt", "raw_body")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    RAW_BODY_FIELD_NUMBER: _ClassVar[int]
    model: str
    params_json: bytes
    prompt: str
    raw_body: bytes
    def __init__(self, model: _Optional[str] = ..., params_json: _Optional[bytes] = ..., prompt: _Optional[str] = ..., raw_body: _Optional[bytes] = ...) -> None: ...

class MediaOutput(_message.Message):
    __slots__ = ("url", "b64_json")
    URL_FIELD_NUMBER: _ClassVar[int]
    B64_JSON_FIELD_NUMBER: _ClassVar[int]
    url: str
    b64_json: str
    def __init__(self, url: _Optional[str] = ..., b64_json: _Optional[str] = ...) -> None: ...

class EstimatedCost(_message.Message):
    __slots__ = ("billed_usd", "provider_cost_usd")
    BILLED_USD_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_COST_USD_FIELD_NUMBER: _ClassVar[int]
    billed_usd: float
    provider_cost_usd: float
    def __init__(self, billed_usd: _Optional[float] = ..., provider_cost_usd: _Optional[float] = ...) -> None: ...

class CreateMediaGenerationResponse(_message.Message):
    __slots__ = ("created", "model", "data", "est_cost", "dropped_params", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CREATED_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EST_COST_FIELD_NUMBER: _ClassVar[int]
    DROPPED_PARAMS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    created: int
    model: str
    data: _containers.RepeatedCompositeFieldContainer[MediaOutput]
    est_cost: EstimatedCost
    dropped_params: _containers.RepeatedScalarFieldContainer[str]
    headers: _containers.ScalarMap[str, str]
    def __init__(self, created: _Optional[int] = ..., model: _Optional[str] = ..., data: _Optional[_Iterable[_Union[MediaOutput, _Mapping]]] = ..., est_cost: _Optional[_Union[EstimatedCost, _Mapping]] = ..., dropped_params: _Optional[_Iterable[str]] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

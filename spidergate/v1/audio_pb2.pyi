from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateSpeechRequest(_message.Message):
    __slots__ = ("model", "input", "voice", "speed", "response_format", "instructions", "extra_json")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    SPEED_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_JSON_FIELD_NUMBER: _ClassVar[int]
    model: str
    input: str
    voice: str
    speed: float
    response_format: str
    instructions: str
    extra_json: bytes
    def __init__(self, model: _Optional[str] = ..., input: _Optional[str] = ..., voice: _Optional[str] = ..., speed: _Optional[float] = ..., response_format: _Optional[str] = ..., instructions: _Optional[str] = ..., extra_json: _Optional[bytes] = ...) -> None: ...

class AudioMetadata(_message.Message):
    __slots__ = ("provider", "model", "cost_usd", "request_id")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    provider: str
    model: str
    cost_usd: float
    request_id: str
    def __init__(self, provider: _Optional[str] = ..., model: _Optional[str] = ..., cost_usd: _Optional[float] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateSpeechResponse(_message.Message):
    __slots__ = ("audio", "headers", "content_type", "metadata")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    audio: bytes
    headers: _containers.ScalarMap[str, str]
    content_type: str
    metadata: AudioMetadata
    def __init__(self, audio: _Optional[bytes] = ..., headers: _Optional[_Mapping[str, str]] = ..., content_type: _Optional[str] = ..., metadata: _Optional[_Union[AudioMetadata, _Mapping]] = ...) -> None: ...

class TranscriptionParams(_message.Message):
    __slots__ = ("model", "filename", "content_type", "language", "prompt", "response_format", "temperature", "timestamp_granularities", "form_error", "extra_json")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_GRANULARITIES_FIELD_NUMBER: _ClassVar[int]
    FORM_ERROR_FIELD_NUMBER: _ClassVar[int]
    EXTRA_JSON_FIELD_NUMBER: _ClassVar[int]
    model: str
    filename: str
    content_type: str
    language: str
    prompt: str
    response_format: str
    temperature: float
    timestamp_granularities: _containers.RepeatedScalarFieldContainer[str]
    form_error: str
    extra_json: bytes
    def __init__(self, model: _Optional[str] = ..., filename: _Optional[str] = ..., content_type: _Optional[str] = ..., language: _Optional[str] = ..., prompt: _Optional[str] = ..., response_format: _Optional[str] = ..., temperature: _Optional[float] = ..., timestamp_granularities: _Optional[_Iterable[str]] = ..., form_error: _Optional[str] = ..., extra_json: _Optional[bytes] = ...) -> None: ...

class CreateTranscriptionRequest(_message.Message):
    __slots__ = ("params", "chunk")
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    params: TranscriptionParams
    chunk: bytes
    def __init__(self, params: _Optional[_Union[TranscriptionParams, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class CreateTranslationRequest(_message.Message):
    __slots__ = ("params", "chunk")
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    params: TranscriptionParams
    chunk: bytes
    def __init__(self, params: _Optional[_Union[TranscriptionParams, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class Transcript(_message.Message):
    __slots__ = ("body", "content_type")
    BODY_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    body: bytes
    content_type: str
    def __init__(self, body: _Optional[bytes] = ..., content_type: _Optional[str] = ...) -> None: ...

class CreateTranscriptionResponse(_message.Message):
    __slots__ = ("transcript", "headers", "metadata")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TRANSCRIPT_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    transcript: Transcript
    headers: _containers.ScalarMap[str, str]
    metadata: AudioMetadata
    def __init__(self, transcript: _Optional[_Union[Transcript, _Mapping]] = ..., headers: _Optional[_Mapping[str, str]] = ..., metadata: _Optional[_Union[AudioMetadata, _Mapping]] = ...) -> None: ...

class CreateTranslationResponse(_message.Message):
    __slots__ = ("transcript", "headers", "metadata")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TRANSCRIPT_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    transcript: Transcript
    headers: _containers.ScalarMap[str, str]
    metadata: AudioMetadata
    def __init__(self, transcript: _Optional[_Union[Transcript, _Mapping]] = ..., headers: _Optional[_Mapping[str, str]] = ..., metadata: _Optional[_Union[AudioMetadata, _Mapping]] = ...) -> None: ...

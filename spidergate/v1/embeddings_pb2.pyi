from spidergate.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TokenArray(_message.Message):
    __slots__ = ("tokens",)
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, tokens: _Optional[_Iterable[int]] = ...) -> None: ...

class CreateEmbeddingRequest(_message.Message):
    __slots__ = ("model", "texts", "token_arrays", "single", "encoding_format", "dimensions", "user", "spidergate_options", "include_route_trace", "extra_json")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TEXTS_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ARRAYS_FIELD_NUMBER: _ClassVar[int]
    SINGLE_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FORMAT_FIELD_NUMBER: _ClassVar[int]
    DIMENSIONS_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    SPIDERGATE_OPTIONS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ROUTE_TRACE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_JSON_FIELD_NUMBER: _ClassVar[int]
    model: str
    texts: _containers.RepeatedScalarFieldContainer[str]
    token_arrays: _containers.RepeatedCompositeFieldContainer[TokenArray]
    single: bool
    encoding_format: str
    dimensions: int
    user: str
    spidergate_options: _common_pb2.SpidergateOptions
    include_route_trace: bool
    extra_json: bytes
    def __init__(self, model: _Optional[str] = ..., texts: _Optional[_Iterable[str]] = ..., token_arrays: _Optional[_Iterable[_Union[TokenArray, _Mapping]]] = ..., single: _Optional[bool] = ..., encoding_format: _Optional[str] = ..., dimensions: _Optional[int] = ..., user: _Optional[str] = ..., spidergate_options: _Optional[_Union[_common_pb2.SpidergateOptions, _Mapping]] = ..., include_route_trace: _Optional[bool] = ..., extra_json: _Optional[bytes] = ...) -> None: ...

class CreateEmbeddingResponse(_message.Message):
    __slots__ = ("vectors", "model", "usage", "spidergate_metadata", "headers", "encoding_format", "route_trace")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    VECTORS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    SPIDERGATE_METADATA_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FORMAT_FIELD_NUMBER: _ClassVar[int]
    ROUTE_TRACE_FIELD_NUMBER: _ClassVar[int]
    vectors: _containers.RepeatedScalarFieldContainer[bytes]
    model: str
    usage: _common_pb2.Usage
    spidergate_metadata: _common_pb2.SpidergateMetadata
    headers: _containers.ScalarMap[str, str]
    encoding_format: str
    route_trace: _containers.RepeatedCompositeFieldContainer[_common_pb2.RouteAttempt]
    def __init__(self, vectors: _Optional[_Iterable[bytes]] = ..., model: _Optional[str] = ..., usage: _Optional[_Union[_common_pb2.Usage, _Mapping]] = ..., spidergate_metadata: _Optional[_Union[_common_pb2.SpidergateMetadata, _Mapping]] = ..., headers: _Optional[_Mapping[str, str]] = ..., encoding_format: _Optional[str] = ..., route_trace: _Optional[_Iterable[_Union[_common_pb2.RouteAttempt, _Mapping]]] = ...) -> None: ...

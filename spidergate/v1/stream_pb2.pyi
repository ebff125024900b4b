from spidergate.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StreamChatCompletionRequest(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: _common_pb2.ChatCompletionRequest
    def __init__(self, request: _Optional[_Union[_common_pb2.ChatCompletionRequest, _Mapping]] = ...) -> None: ...

class StreamChatCompletionResponse(_message.Message):
    __slots__ = ("chunks", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CHUNKS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    chunks: _containers.RepeatedCompositeFieldContainer[_common_pb2.ChatCompletionChunk]
    headers: _containers.ScalarMap[str, str]
    def __init__(self, chunks: _Optional[_Iterable[_Union[_common_pb2.ChatCompletionChunk, _Mapping]]] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

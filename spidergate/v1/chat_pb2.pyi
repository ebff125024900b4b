from spidergate.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateChatCompletionRequest(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: _common_pb2.ChatCompletionRequest
    def __init__(self, request: _Optional[_Union[_common_pb2.ChatCompletionRequest, _Mapping]] = ...) -> None: ...

class CreateChatCompletionResponse(_message.Message):
    __slots__ = ("completion", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COMPLETION_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    completion: _common_pb2.ChatCompletion
    headers: _containers.ScalarMap[str, str]
    def __init__(self, completion: _Optional[_Union[_common_pb2.ChatCompletion, _Mapping]] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CountTokensRequest(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: _common_pb2.ChatCompletionRequest
    def __init__(self, request: _Optional[_Union[_common_pb2.ChatCompletionRequest, _Mapping]] = ...) -> None: ...

class CountTokensResponse(_message.Message):
    __slots__ = ("input_tokens", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    input_tokens: int
    headers: _containers.ScalarMap[str, str]
    def __init__(self, input_tokens: _Optional[int] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

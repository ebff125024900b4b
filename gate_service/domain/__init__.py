"""The typed domain: the chat request and its answer as plain Python, converted from and
to proto once at the gRPC edge and from and to an upstream's wire format by its adapter."""

from gate_service.domain.completion import (
    Choice,
    Chunk,
    ChunkChoice,
    Completion,
    Delta,
    Metadata,
    RouteAttempt,
    Usage,
)
from gate_service.domain.request import (
    ChatRequest,
    Content,
    ContentPart,
    FunctionCall,
    FunctionDef,
    ImageUrl,
    Json,
    Message,
    ResponseFormat,
    SpidergateOptions,
    StreamOptions,
    Tool,
    ToolCall,
    ToolChoice,
)

__all__ = [
    "ChatRequest",
    "Choice",
    "Chunk",
    "ChunkChoice",
    "Completion",
    "Content",
    "ContentPart",
    "Delta",
    "FunctionCall",
    "FunctionDef",
    "ImageUrl",
    "Json",
    "Message",
    "Metadata",
    "ResponseFormat",
    "RouteAttempt",
    "SpidergateOptions",
    "StreamOptions",
    "Tool",
    "ToolCall",
    "ToolChoice",
    "Usage",
]

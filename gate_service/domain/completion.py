"""The answer as the core works with it: a whole completion or stream chunks, with usage.

Adapters build these from their upstream's answer; the chat answer shaping
(``chat.answer``) stamps our id, the served model and ``metadata``; the gRPC edge turns
them into proto once (``proto_convert.completion``). Keys the schema does not model ride
in ``extra``, as in the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gate_service.domain.request import Json, ToolCall


@dataclass(slots=True)
class Usage:
    """Token counts. ``cached_tokens`` is OpenAI's ``prompt_tokens_details.cached_tokens``
    and ``reasoning_tokens`` its ``completion_tokens_details.reasoning_tokens``; other
    keys (the rest of the detail objects, ``estimated``...) are in ``extra``."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    extra: Json = field(default_factory=dict)
    # What a non-token call is billed by (catalog prices per image, per input character,
    # per audio second): images made, characters spoken, seconds transcribed.
    images: int = 0
    characters: int = 0
    audio_seconds: float = 0.0


@dataclass(slots=True)
class Delta:
    """The assistant's message of a choice, or the delta of a streamed one (where every
    field is optional: ``None`` is "not in this chunk")."""

    role: str | None = None
    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    refusal: str | None = None
    reasoning_content: str | None = None
    extra: Json = field(default_factory=dict)


@dataclass(slots=True)
class Choice:
    """One choice of a whole completion."""

    index: int
    message: Delta
    finish_reason: str | None = None
    logprobs: Any = None
    extra: Json = field(default_factory=dict)


@dataclass(slots=True)
class ChunkChoice:
    """One choice of a stream chunk."""

    index: int
    delta: Delta
    finish_reason: str | None = None
    logprobs: Any = None
    extra: Json = field(default_factory=dict)


@dataclass(slots=True)
class Metadata:
    """``spidergate_metadata``: who served the request, at what cost and speed."""

    provider: str = ""
    provider_model: str = ""
    latency_ms: float = 0.0
    cost_usd: float = 0.0
    cache_hit: bool = False
    fallback_used: bool = False
    original_model: str = ""
    requested_model: str = ""
    request_id: str = ""
    extra: Json = field(default_factory=dict)


@dataclass(slots=True)
class RouteAttempt:
    """One entry of ``route_trace``: a provider, a model and a (masked) key tried."""

    provider: str
    model: str
    key: str
    outcome: str
    status: int
    latency_ms: float
    error_code: str = ""
    error_message: str = ""


@dataclass(slots=True)
class Completion:
    """A ``chat.completion``."""

    id: str
    model: str
    created: int = 0
    choices: list[Choice] = field(default_factory=list)
    usage: Usage | None = None
    object: str = "chat.completion"
    system_fingerprint: str = ""
    service_tier: str = ""
    metadata: Metadata | None = None
    route_trace: list[RouteAttempt] = field(default_factory=list)
    extra: Json = field(default_factory=dict)


@dataclass(slots=True)
class Chunk:
    """A ``chat.completion.chunk``: choice deltas, or (``choices`` empty) the usage."""

    id: str
    model: str
    created: int = 0
    choices: list[ChunkChoice] = field(default_factory=list)
    usage: Usage | None = None
    object: str = "chat.completion.chunk"
    system_fingerprint: str = ""
    extra: Json = field(default_factory=dict)

"""The interface every wire-format adapter implements, and the types it trades in.

Adapters are pure translation: build the upstream request from the typed domain request
(:class:`~gate_service.domain.ChatRequest`), parse the upstream answer (whole or streamed)
into domain completions and chunks, and classify upstream errors. Only an adapter knows
its wire's JSON (the OpenAI-compatible one included). They never perform I/O; the
transport does, so adapters are tested with golden fixtures and no network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from gate_service.domain import ChatRequest, Chunk, Completion

if TYPE_CHECKING:  # at run time the catalog imports the adapter registry, not the reverse
    from gate_service.catalog.schema import ProviderInfo

# An upstream's JSON object (its request bodies and answers): adapters' own wire code.
Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Target:
    """Where one attempt goes: a provider, its model id, the key and the resolved address."""

    provider: ProviderInfo
    model: str
    base_url: str
    secret: str = field(repr=False, default="")
    key_id: str = ""
    key_preview: str = ""


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    """An HTTP request ready for the transport."""

    url: str
    headers: dict[str, str]
    body: bytes


class FailureKind(Enum):
    """How an upstream failure steers fallback (see vault-and-routing.md)."""

    RATE_LIMITED = "rate_limited"  # 429: cooldown the key, try the next
    SERVER = "server"  # 5xx: try the next key, then the next candidate
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    MODEL_NOT_FOUND = "model_not_found"  # 404: the model is delisted, next candidate
    AUTH = "auth"  # 401/403: the key is invalid, next key
    BAD_REQUEST = "bad_request"  # 400-class: the request itself is bad, never retried
    PROTOCOL = "protocol"  # an answer we could not parse


@dataclass(frozen=True, slots=True)
class UpstreamFailure(Exception):
    """A classified upstream failure; ``message`` never contains a secret."""

    kind: FailureKind
    status: int
    message: str
    retry_after_s: float | None = None

    @property
    def retryable(self) -> bool:
        return self.kind is not FailureKind.BAD_REQUEST


class StreamDecoder(Protocol):
    """Turns one upstream stream's events into domain chunks (stateful per stream)."""

    def feed(self, data: bytes) -> list[Chunk]:
        """One SSE ``data:`` payload in; zero or more chunks out."""
        ...

    @property
    def done(self) -> bool:
        """True once the upstream signalled the end of the stream."""
        ...


class WireAdapter(Protocol):
    """One wire format (OpenAI-compatible, Anthropic Messages, Gemini)."""

    name: str

    def build_request(
        self, target: Target, request: ChatRequest, *, stream: bool
    ) -> UpstreamRequest:
        """The upstream HTTP request for a chat request."""
        ...

    def parse_response(self, target: Target, body: bytes) -> Completion:
        """The upstream's whole answer as a completion."""
        ...

    def stream_decoder(self, target: Target) -> StreamDecoder:
        """A fresh decoder for one streamed answer."""
        ...

    def classify_error(self, status: int, headers: dict[str, str], body: bytes) -> UpstreamFailure:
        """Map an upstream HTTP error to a failure kind, with a client-safe message."""
        ...

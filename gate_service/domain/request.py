"""The chat request as the core works with it: typed, built once from the proto at the gRPC
edge (``proto_convert.request``), read by the chat attempts, the planner, the cache and
every adapter without a second parse.

Every object that mirrors a JSON object keeps the keys our schema does not model in
``extra`` (already parsed), so nothing a client sends is lost on the way to an
OpenAI-compatible upstream. Free-form JSON (tool parameters, a json_schema, an unknown
``tool_choice`` shape) is kept as the parsed value. ``None`` means "absent", as the
proto's ``optional`` fields do.

``slots=True`` throughout: the objects are built on every request, and slotted
dataclasses are smaller and quicker to build and read than dicts of the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gate_service.domain.kinds import RequestKind

Json = dict[str, Any]


@dataclass(slots=True)
class ImageUrl:
    """An image reference: an https URL or a ``data:`` URL."""

    url: str
    detail: str | None = None
    extra: Json = field(default_factory=dict)


@dataclass(slots=True)
class ContentPart:
    """One part of a multi-part content: text, an image, or another type (in ``extra``)."""

    type: str
    text: str | None = None
    image_url: ImageUrl | None = None
    extra: Json = field(default_factory=dict)


@dataclass(slots=True)
class FunctionCall:
    """The function a tool call invokes; in a stream delta either part may be absent."""

    name: str | None = None
    arguments: str | None = None


@dataclass(slots=True)
class ToolCall:
    """A tool call by the assistant (or a stream delta of one: ``index`` set, rest partial)."""

    index: int | None = None
    id: str | None = None
    type: str | None = None
    function: FunctionCall | None = None
    extra: Json = field(default_factory=dict)


# A message's content: a string, a list of parts, or absent.
Content = str | list[ContentPart] | None


@dataclass(slots=True)
class Message:
    """One message of the conversation."""

    role: str
    content: Content = None
    name: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None
    extra: Json = field(default_factory=dict)


@dataclass(slots=True)
class FunctionDef:
    """A function the model may call; ``parameters`` is its JSON Schema (parsed)."""

    name: str
    description: str | None = None
    parameters: Any = None
    strict: bool | None = None
    extra: Json = field(default_factory=dict)


@dataclass(slots=True)
class Tool:
    type: str = "function"
    function: FunctionDef | None = None
    extra: Json = field(default_factory=dict)


@dataclass(slots=True)
class ToolChoice:
    """Exactly one of: a mode ("none", "auto", "required"), a named function, or any
    other shape (``other``, the client's object as sent: allowed_tools, custom tools...)."""

    mode: str | None = None
    function_name: str | None = None
    other: Any = None


@dataclass(slots=True)
class ResponseFormat:
    type: str
    json_schema: Any = None
    extra: Json = field(default_factory=dict)


@dataclass(slots=True)
class StreamOptions:
    include_usage: bool | None = None
    extra: Json = field(default_factory=dict)


@dataclass(slots=True)
class SpidergateOptions:
    """SpiderGate's own request extension, parsed once: routing, cache and retry knobs.
    Always present on a :class:`ChatRequest` (empty when the client sent none)."""

    max_cost_usd: float | None = None
    cache_enabled: bool | None = None
    cache_ttl_seconds: int | None = None
    fallback_models: tuple[str, ...] = ()
    preferred_providers: tuple[str, ...] = ()
    excluded_providers: tuple[str, ...] = ()
    timeout_ms: int | None = None
    retry_count: int | None = None
    extra: Json = field(default_factory=dict)
    # Whether the client sent the object at all (`{}` and absence ask the same question,
    # but the request's JSON form keeps what was sent).
    present: bool = False


@dataclass(slots=True)
class ChatRequest:
    """An OpenAI chat-completions request, plus ``options`` (``spidergate_options``)."""

    model: str
    messages: list[Message] = field(default_factory=list)
    temperature: float | None = None
    top_p: float | None = None
    n: int | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    # A single stop string is one item.
    stop: list[str] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    seed: int | None = None
    user: str | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    options: SpidergateOptions = field(default_factory=SpidergateOptions)
    include_route_trace: bool = False
    extra: Json = field(default_factory=dict)
    # The surface it came through (chat, the Responses or Messages API, legacy
    # completions): the request kind the ledger records.
    kind: RequestKind = "chat"

    @property
    def max_output(self) -> int | None:
        """``max_completion_tokens`` (current name) or ``max_tokens`` (legacy name)."""
        return self.max_completion_tokens or self.max_tokens

    @property
    def wants_usage(self) -> bool:
        """Whether a streamed answer ends with a usage chunk (``stream_options``)."""
        return bool(self.stream_options and self.stream_options.include_usage)

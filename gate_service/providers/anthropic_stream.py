"""Anthropic Messages SSE -> chunks.

The transport hands over each ``data:`` payload; Anthropic repeats the ``event:`` name as
the payload's ``type``, so the payload alone says what happened. Event order:
``message_start``, per content block ``content_block_start`` / ``_delta`` / ``_stop``,
``message_delta`` (stop reason, final output usage), ``message_stop``; ``ping`` may come
anywhere and an ``error`` event can interrupt a stream that already answered 200.

The answer tool of an emulated ``response_format`` (``anthropic_request.RESPONSE_TOOL``)
streams its input as ``input_json_delta``s: those become content deltas, so the client
receives the JSON answer as text, ending with ``stop``.
"""

from __future__ import annotations

from collections.abc import Callable

from gate_service.domain import Chunk, Delta, FunctionCall, ToolCall
from gate_service.providers.anthropic_request import RESPONSE_TOOL
from gate_service.providers.anthropic_response import finish_reason, usage
from gate_service.providers.base import FailureKind, Json, UpstreamFailure
from gate_service.providers.json_codec import load_object
from gate_service.providers.openai_shapes import ChunkFactory

# Mid-stream errors: overload and rate limits mean "busy", anything else a server fault.
_STREAM_ERRORS = {
    "overloaded_error": (FailureKind.RATE_LIMITED, 529),
    "rate_limit_error": (FailureKind.RATE_LIMITED, 429),
    "api_error": (FailureKind.SERVER, 500),
}


def error_event_failure(event: Json) -> UpstreamFailure:
    """The failure an ``{"type": "error", "error": {...}}`` payload reports."""
    error = event.get("error")
    error = error if isinstance(error, dict) else {}
    kind, status = _STREAM_ERRORS.get(str(error.get("type")), (FailureKind.SERVER, 502))
    message = str(error.get("message") or "the upstream reported an error")
    return UpstreamFailure(kind, status, message)


class AnthropicStreamDecoder:
    """Decodes one Anthropic stream; remembers ids, tool-block indexes and usage."""

    __slots__ = (
        "_answer_blocks",
        "_chunks",
        "_handlers",
        "_silent_tools",
        "_tool_index",
        "_usage",
        "done",
    )

    def __init__(self, model: str, created: int) -> None:
        self.done = False
        self._chunks = ChunkFactory("", model, created)
        self._usage: Json = {}
        # Anthropic numbers all content blocks; OpenAI numbers tool calls only.
        self._tool_index: dict[int, int] = {}
        # Tool blocks that have not streamed any input yet (see _block_stop).
        self._silent_tools: set[int] = set()
        # Blocks of the answer tool: their input is the message text.
        self._answer_blocks: set[int] = set()
        self._handlers: dict[str, Callable[[Json], list[Chunk]]] = {
            "message_start": self._message_start,
            "content_block_start": self._block_start,
            "content_block_delta": self._block_delta,
            "content_block_stop": self._block_stop,
            "message_delta": self._message_delta,
            "message_stop": self._message_stop,
            "error": self._error,
        }

    def feed(self, data: bytes) -> list[Chunk]:
        event = load_object(data, "event in the upstream stream")
        handler = self._handlers.get(str(event.get("type")))
        # ping and event types added later carry nothing for us.
        return handler(event) if handler else []

    def _message_start(self, event: Json) -> list[Chunk]:
        message = event.get("message") or {}
        self._chunks.id = str(message.get("id") or "")
        self._chunks.model = str(message.get("model") or self._chunks.model)
        self._merge_usage(message.get("usage"))
        return [self._chunks.delta(Delta(role="assistant", content=""))]

    def _block_start(self, event: Json) -> list[Chunk]:
        block = event.get("content_block") or {}
        kind = block.get("type")
        if kind == "tool_use" and block.get("name") == RESPONSE_TOOL:
            block_index = int(event.get("index") or 0)
            self._answer_blocks.add(block_index)
            self._silent_tools.add(block_index)
            return []
        if kind == "tool_use":
            block_index = int(event.get("index") or 0)
            index = self._tool_index[block_index] = len(self._tool_index)
            self._silent_tools.add(block_index)
            call = ToolCall(
                index=index,
                id=str(block.get("id") or ""),
                type="function",
                function=FunctionCall(str(block.get("name") or ""), ""),
            )
            return [self._chunks.delta(Delta(tool_calls=[call]))]
        if kind == "text" and block.get("text"):
            return [self._chunks.delta(Delta(content=str(block["text"])))]
        if kind == "thinking" and block.get("thinking"):
            return [self._chunks.delta(Delta(reasoning_content=str(block["thinking"])))]
        return []

    def _block_delta(self, event: Json) -> list[Chunk]:
        delta = event.get("delta") or {}
        kind = delta.get("type")
        if kind == "text_delta" and delta.get("text"):
            return [self._chunks.delta(Delta(content=str(delta["text"])))]
        if kind == "thinking_delta" and delta.get("thinking"):
            return [self._chunks.delta(Delta(reasoning_content=str(delta["thinking"])))]
        if kind == "input_json_delta" and delta.get("partial_json"):
            block_index = int(event.get("index") or 0)
            if block_index in self._answer_blocks:
                self._silent_tools.discard(block_index)
                return [self._chunks.delta(Delta(content=str(delta["partial_json"])))]
            index = self._tool_index.get(block_index)
            if index is None:
                return []  # a server tool's input: not a call the client makes
            self._silent_tools.discard(block_index)
            call = ToolCall(index=index, function=FunctionCall(arguments=delta["partial_json"]))
            return [self._chunks.delta(Delta(tool_calls=[call]))]
        return []  # signature_delta, citations_delta, empty fragments

    def _block_stop(self, event: Json) -> list[Chunk]:
        # A call without arguments streams no input at all; the whole message says "{}",
        # and so must the reassembled stream (clients json.loads the arguments).
        block_index = int(event.get("index") or 0)
        if block_index not in self._silent_tools:
            return []
        self._silent_tools.discard(block_index)
        if block_index in self._answer_blocks:
            return [self._chunks.delta(Delta(content="{}"))]
        call = ToolCall(index=self._tool_index[block_index], function=FunctionCall(arguments="{}"))
        return [self._chunks.delta(Delta(tool_calls=[call]))]

    def _message_delta(self, event: Json) -> list[Chunk]:
        self._merge_usage(event.get("usage"))
        stop_reason = (event.get("delta") or {}).get("stop_reason")
        if stop_reason is None:
            return []
        reason = finish_reason(stop_reason)
        if reason == "tool_calls" and not self._tool_index:  # only the answer tool
            reason = "stop"
        return [self._chunks.delta(Delta(), finish_reason=reason)]

    def _message_stop(self, event: Json) -> list[Chunk]:
        self.done = True
        return [self._chunks.usage(usage(self._usage))] if self._usage else []

    def _error(self, event: Json) -> list[Chunk]:
        raise error_event_failure(event)

    def _merge_usage(self, raw: object) -> None:
        # message_delta counters are cumulative and may repeat the input counts; a null
        # there means "unchanged", not zero.
        if isinstance(raw, dict):
            self._usage.update({k: v for k, v in raw.items() if v is not None})

"""Gemini ``streamGenerateContent?alt=sse`` -> chunks.

Each ``data:`` payload is a complete ``GenerateContentResponse`` holding only the new
text; function calls arrive whole in one fragment. There is no terminating event: the
stream is over once every candidate has a ``finishReason``, so the decoder reports
``done`` then and emits the usage chunk (Gemini repeats ``usageMetadata`` in fragments,
the last one seen is the total) right after the finish chunk.
"""

from __future__ import annotations

from collections.abc import Callable

from gate_service.domain import Chunk, Delta, FunctionCall, ToolCall
from gate_service.providers.base import Json, UpstreamFailure
from gate_service.providers.gemini_response import (
    call_id,
    finish_reason,
    logprobs,
    read_parts,
    usage,
)
from gate_service.providers.json_codec import load_object
from gate_service.providers.openai_shapes import ChunkFactory


class GeminiStreamDecoder:
    """Decodes one Gemini stream; tracks candidates seen/finished and tool-call counts."""

    __slots__ = ("_chunks", "_failure", "_finished", "_started", "_tool_calls", "_usage", "done")

    def __init__(
        self, model: str, created: int, failure: Callable[[Json], UpstreamFailure]
    ) -> None:
        self.done = False
        self._chunks = ChunkFactory("", model, created)
        self._failure = failure
        self._started: set[int] = set()
        self._finished: set[int] = set()
        self._tool_calls: dict[int, int] = {}  # candidate index -> calls so far
        self._usage: Json | None = None

    def feed(self, data: bytes) -> list[Chunk]:
        payload = load_object(data, "event in the upstream stream")
        if isinstance(error := payload.get("error"), dict):
            raise self._failure(error)
        if not self._chunks.id:
            self._chunks.id = str(payload.get("responseId") or "")
        self._chunks.model = str(payload.get("modelVersion") or self._chunks.model)
        if isinstance(meta := payload.get("usageMetadata"), dict):
            self._usage = meta
        out: list[Chunk] = []
        candidates = payload.get("candidates") or []
        for position, candidate in enumerate(candidates):
            if isinstance(candidate, dict):
                out.extend(self._candidate(candidate, position))
        if not candidates and (payload.get("promptFeedback") or {}).get("blockReason"):
            out.extend(self._start(0))
            out.append(self._chunks.delta(Delta(), finish_reason="content_filter"))
            self._finished.add(0)
        if self._started and self._started <= self._finished and not self.done:
            self.done = True
            if self._usage is not None:
                out.append(self._chunks.usage(usage(self._usage)))
        return out

    def _start(self, index: int) -> list[Chunk]:
        if index in self._started:
            return []
        self._started.add(index)
        return [self._chunks.delta(Delta(role="assistant", content=""), index=index)]

    def _candidate(self, candidate: Json, position: int) -> list[Chunk]:
        index = candidate.get("index")
        index = index if isinstance(index, int) else position
        out = self._start(index)
        parts = read_parts(candidate)
        delta = Delta(
            reasoning_content="".join(parts.thoughts) if parts.thoughts else None,
            content="".join(parts.texts) if parts.texts else None,
            tool_calls=self._calls(index, parts.calls) if parts.calls else [],
        )
        probs = logprobs(candidate)
        if parts.thoughts or parts.texts or parts.calls or probs:
            out.append(self._chunks.delta(delta, index=index, logprobs=probs))
        if reason := candidate.get("finishReason"):
            called = self._tool_calls.get(index, 0) > 0
            out.append(
                self._chunks.delta(
                    Delta(), index=index, finish_reason=finish_reason(reason, called)
                )
            )
            self._finished.add(index)
        return out

    def _calls(self, index: int, calls: list[tuple[str, str, str]]) -> list[ToolCall]:
        first = self._tool_calls.get(index, 0)
        self._tool_calls[index] = first + len(calls)
        return [
            ToolCall(
                index=first + n,
                id=given or call_id(self._chunks.id, index, first + n),
                type="function",
                function=FunctionCall(name, arguments),
            )
            for n, (given, name, arguments) in enumerate(calls)
        ]

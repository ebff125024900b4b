"""What a captured request keeps: its input and output messages as OpenAI-shaped JSON,
redacted and cut to the brand's size cap per message, with flags saying whether
anything was cut and the time it expires.

Built at the end of the request (on the event loop, only when capture is on) so that the
journal line, hence the disk, never holds a secret: :func:`seal_messages` redacts each
string and cuts each message to ``max_chars`` characters of text (its strings counted in
order; a cut string ends with ``…[truncated from N chars]``). Redaction runs on at most
``max_chars + _MARGIN`` characters of a string, so a huge message costs what its kept part
does, and a secret straddling the cut is still recognised whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gate_service.capture.redact import redact
from gate_service.domain import Chunk, Completion, Json, Message
from gate_service.domain.openai_answer import delta_to_json
from gate_service.domain.openai_request import message_to_json

# Characters beyond the cap that are redacted before the cut (longer than any key format).
_MARGIN = 512


@dataclass(frozen=True, slots=True)
class CapturedContent:
    """A request's captured messages, ready to store (``trace_content``)."""

    input_messages: list[Json]
    output_messages: list[Json]
    input_truncated: bool
    output_truncated: bool
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class CapturePolicy:
    """The brand's size cap per message and retention, as they stood for this request."""

    max_chars: int
    retention_days: int

    def seal(
        self, inputs: list[Json], outputs: list[Json], created_at: datetime
    ) -> CapturedContent:
        """Redact and cut both sides; they expire ``retention_days`` after ``created_at``."""
        kept_in, cut_in = seal_messages(inputs, self.max_chars)
        kept_out, cut_out = seal_messages(outputs, self.max_chars)
        return CapturedContent(
            kept_in, kept_out, cut_in, cut_out, created_at + timedelta(days=self.retention_days)
        )


class _Budget:
    """Characters of text one message may still keep."""

    __slots__ = ("cut", "left")

    def __init__(self, left: int) -> None:
        self.left = left
        self.cut = False

    def take(self, text: str) -> str:
        whole = len(text)
        kept = redact(text[: self.left + _MARGIN])
        if whole > self.left + _MARGIN or len(kept) > self.left:
            kept = kept[: self.left] + f"…[truncated from {whole} chars]"
            self.cut = True
            self.left = 0
        else:
            self.left -= len(kept)
        return kept


def _walk(value: Any, budget: _Budget) -> Any:
    if isinstance(value, str):
        return budget.take(value)
    if isinstance(value, dict):
        return {k: _walk(v, budget) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v, budget) for v in value]
    return value


def seal_messages(messages: Iterable[Json], max_chars: int) -> tuple[list[Json], bool]:
    """Each message redacted and cut to ``max_chars`` characters of text; whether any was."""
    kept: list[Json] = []
    cut = False
    for message in messages:
        budget = _Budget(max_chars)
        kept.append(_walk(message, budget))
        cut = cut or budget.cut
    return kept, cut


def input_json(messages: Iterable[Message]) -> list[Json]:
    """The request's messages as OpenAI JSON."""
    return [message_to_json(m) for m in messages]


def completion_json(completion: Completion) -> list[Json]:
    """A whole completion's choices' messages as OpenAI JSON."""
    return [delta_to_json(c.message, whole=True) for c in completion.choices]


class StreamAssembler:
    """The messages a stream delivered, assembled from its chunks per choice: content,
    reasoning and refusal concatenated, tool calls by index with their arguments joined."""

    __slots__ = ("_choices",)

    def __init__(self) -> None:
        self._choices: dict[int, Json] = {}

    def add(self, chunks: Iterable[Chunk]) -> None:
        for chunk in chunks:
            for choice in chunk.choices:
                msg = self._choices.setdefault(choice.index, {"role": "assistant"})
                delta = choice.delta
                if delta.role:
                    msg["role"] = delta.role
                for name in ("content", "reasoning_content", "refusal"):
                    part = getattr(delta, name)
                    if part:
                        msg[name] = msg.get(name, "") + part
                for call in delta.tool_calls:
                    self._add_call(msg, call)

    @staticmethod
    def _add_call(msg: Json, call: Any) -> None:
        calls: list[Json] = msg.setdefault("tool_calls", [])
        index = call.index if call.index is not None else len(calls)
        while len(calls) <= index:
            calls.append({"type": "function", "function": {"name": "", "arguments": ""}})
        slot = calls[index]
        if call.id:
            slot["id"] = call.id
        if call.function is not None:
            if call.function.name:
                slot["function"]["name"] += call.function.name
            if call.function.arguments:
                slot["function"]["arguments"] += call.function.arguments

    def messages(self) -> list[Json]:
        """The assembled messages, in choice order."""
        return [self._choices[i] for i in sorted(self._choices)]

"""Building answers: the completions and chunks every non-OpenAI adapter produces.

Every such adapter's output is shaped here, so a client sees the same fields in the same
places whichever wire format served it (the conformance suite checks exactly that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gate_service.domain import (
    Choice,
    Chunk,
    ChunkChoice,
    Completion,
    Delta,
    FunctionCall,
    ToolCall,
    Usage,
)


def usage(
    prompt: int, completion: int, total: int | None = None, *, cached: int = 0, reasoning: int = 0
) -> Usage:
    """Usage with cached prompt tokens and reasoning tokens (OpenAI's detail objects)."""
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion if total is None else total,
        cached_tokens=cached,
        reasoning_tokens=reasoning,
    )


def tool_call(call_id: str, name: str, arguments: str) -> ToolCall:
    """One complete entry of ``message.tool_calls``."""
    return ToolCall(id=call_id, type="function", function=FunctionCall(name, arguments))


def message(
    texts: Sequence[str], *, reasoning: Sequence[str] = (), tool_calls: Sequence[ToolCall] = ()
) -> Delta:
    """The assistant message of a choice.

    ``content`` is the joined text; with no text it is null when the model called tools
    (as OpenAI answers) and an empty string otherwise, so clients always get a string
    for a plain answer.
    """
    content = "".join(texts) if texts else (None if tool_calls else "")
    return Delta(
        role="assistant",
        content=content,
        reasoning_content="".join(reasoning) if reasoning else None,
        tool_calls=list(tool_calls),
    )


def choice(index: int, msg: Delta, finish_reason: str | None, logprobs: Any = None) -> Choice:
    """One entry of a completion's ``choices``."""
    return Choice(index=index, message=msg, finish_reason=finish_reason, logprobs=logprobs)


def completion(
    completion_id: str, model: str, created: int, choices: list[Choice], usage: Usage | None
) -> Completion:
    """A whole completion; the router later replaces ``id`` and ``model``."""
    return Completion(id=completion_id, model=model, created=created, choices=choices, usage=usage)


@dataclass(slots=True)
class ChunkFactory:
    """Stamps one stream's chunks with its id, model and creation time."""

    id: str
    model: str
    created: int

    def delta(
        self,
        delta: Delta,
        *,
        index: int = 0,
        finish_reason: str | None = None,
        logprobs: Any = None,
    ) -> Chunk:
        """A chunk carrying one choice's delta (and its finish reason, if any)."""
        return Chunk(
            id=self.id,
            model=self.model,
            created=self.created,
            choices=[ChunkChoice(index, delta, finish_reason, logprobs)],
        )

    def usage(self, usage: Usage) -> Chunk:
        """The final usage-only chunk (``choices`` empty), as with ``include_usage``."""
        return Chunk(id=self.id, model=self.model, created=self.created, usage=usage)

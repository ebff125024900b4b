"""Whether a chat answer is empty: a 200 with no text and no tool call in any choice.

That is what a reasoning model answers when its ``max_tokens`` ran out while it was still
thinking (``finish_reason: length``, reasoning tokens billed, nothing to show). Routing
learns from it (:mod:`gate_service.routing.empty_budgets`). Reasoning text alone does not
count as an answer: the client asked for content or a tool call and got neither.
"""

from __future__ import annotations

from collections.abc import Iterable

from gate_service.domain import Chunk, Completion, Delta


def has_answer(delta: Delta) -> bool:
    """Text (not only whitespace), a refusal or a tool call."""
    return bool((delta.content or "").strip() or delta.refusal or delta.tool_calls)


def is_empty(completion: Completion) -> bool:
    """No choice carries text, a refusal or a tool call."""
    return not any(has_answer(choice.message) for choice in completion.choices)


def chunks_answer(batch: Iterable[Chunk]) -> bool:
    """Some chunk of a streamed batch carries text, a refusal or a tool call."""
    return any(has_answer(choice.delta) for chunk in batch for choice in chunk.choices)

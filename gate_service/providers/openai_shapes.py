"""Building OpenAI answers: ``chat.completion`` and ``chat.completion.chunk`` dicts.

Every adapter's output is shaped here, so a client sees the same fields in the same
places whichever wire format served it (the conformance suite checks exactly that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gate_service.providers.base import Json


def usage(
    prompt: int, completion: int, total: int | None = None, *, cached: int = 0, reasoning: int = 0
) -> Json:
    """OpenAI usage; cached prompt tokens and reasoning tokens in their detail objects."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion if total is None else total,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }


def tool_call(call_id: str, name: str, arguments: str) -> Json:
    """One complete entry of ``message.tool_calls``."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def message(
    texts: Sequence[str], *, reasoning: Sequence[str] = (), tool_calls: Sequence[Json] = ()
) -> Json:
    """The assistant message of a choice.

    ``content`` is the joined text; with no text it is null when the model called tools
    (as OpenAI answers) and an empty string otherwise, so clients always get a string
    for a plain answer.
    """
    content = "".join(texts) if texts else (None if tool_calls else "")
    msg: Json = {"role": "assistant", "content": content, "refusal": None}
    if reasoning:
        msg["reasoning_content"] = "".join(reasoning)
    if tool_calls:
        msg["tool_calls"] = list(tool_calls)
    return msg


def choice(index: int, msg: Json, finish_reason: str | None, logprobs: Json | None = None) -> Json:
    """One entry of a completion's ``choices``."""
    return {"index": index, "message": msg, "logprobs": logprobs, "finish_reason": finish_reason}


def completion(
    completion_id: str, model: str, created: int, choices: list[Json], usage: Json | None
) -> Json:
    """A whole ``chat.completion``; the router later replaces ``id`` and ``model``."""
    out: Json = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": choices,
    }
    if usage is not None:
        out["usage"] = usage
    return out


@dataclass(slots=True)
class ChunkFactory:
    """Stamps one stream's chunks with its id, model and creation time."""

    id: str
    model: str
    created: int

    def delta(
        self,
        delta: Json,
        *,
        index: int = 0,
        finish_reason: str | None = None,
        logprobs: Json | None = None,
    ) -> Json:
        """A chunk carrying one choice's delta (and its finish reason, if any)."""
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": index,
                    "delta": delta,
                    "logprobs": logprobs,
                    "finish_reason": finish_reason,
                }
            ],
        }

    def usage(self, usage: Json) -> Json:
        """The final usage-only chunk (``choices`` empty), as with ``include_usage``."""
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": usage,
        }

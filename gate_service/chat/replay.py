"""Replay a whole completion as a stream of chunks (a cache hit on a streaming request)."""

from __future__ import annotations

from typing import Any


def completion_to_chunks(
    completion: dict[str, Any], *, include_usage: bool
) -> list[dict[str, Any]]:
    """The chunks an upstream would have streamed for this completion, in OpenAI's order:
    role, content, tool calls (one delta each), finish, then usage when asked."""
    base = {
        "id": completion["id"],
        "object": "chat.completion.chunk",
        "created": completion.get("created", 0),
        "model": completion["model"],
    }

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            **base,
            "choices": [
                {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
            ],
        }

    out: list[dict[str, Any]] = []
    for choice in completion.get("choices") or ():
        index = choice.get("index", 0)
        message = choice.get("message") or {}
        out.append(chunk(index, {"role": "assistant", "content": ""}))
        if message.get("content"):
            out.append(chunk(index, {"content": message["content"]}))
        for i, call in enumerate(message.get("tool_calls") or ()):
            out.append(chunk(index, {"tool_calls": [{"index": i, **call}]}))
        out.append(chunk(index, {}, choice.get("finish_reason") or "stop"))
    if include_usage and completion.get("usage"):
        out.append({**base, "choices": [], "usage": completion["usage"]})
    return out

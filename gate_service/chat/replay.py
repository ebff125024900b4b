"""Replay a whole completion as a stream of chunks (a cache hit on a streaming request)."""

from __future__ import annotations

import dataclasses

from gate_service.domain import Chunk, ChunkChoice, Completion, Delta


def completion_to_chunks(completion: Completion, *, include_usage: bool) -> list[Chunk]:
    """The chunks an upstream would have streamed for this completion, in OpenAI's order:
    role, content, tool calls (one delta each), finish, then usage when asked."""

    def chunk(index: int, delta: Delta, finish: str | None = None) -> Chunk:
        return Chunk(
            id=completion.id,
            model=completion.model,
            created=completion.created,
            choices=[ChunkChoice(index, delta, finish)],
        )

    out: list[Chunk] = []
    for choice in completion.choices:
        index = choice.index
        message = choice.message
        out.append(chunk(index, Delta(role="assistant", content="")))
        if message.content:
            out.append(chunk(index, Delta(content=message.content)))
        for i, call in enumerate(message.tool_calls):
            # A call that carries its own index keeps it, as the dicts once did.
            numbered = dataclasses.replace(call, index=i if call.index is None else call.index)
            out.append(chunk(index, Delta(tool_calls=[numbered])))
        out.append(chunk(index, Delta(), choice.finish_reason or "stop"))
    if include_usage and completion.usage is not None:
        out.append(
            Chunk(
                id=completion.id,
                model=completion.model,
                created=completion.created,
                usage=completion.usage,
            )
        )
    return out

"""What one routed request leaves behind: its context, every attempt, what served it,
and the shapes the router gives back (completion ids, stream chunks, the 502/503 error).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from gate_service.catalog.schema import ModelInfo
from gate_service.deadline import SHUTDOWN, Deadline, unbounded
from gate_service.domain import Chunk, Usage
from gate_service.errors import GateError
from gate_service.providers.base import FailureKind
from gate_service.routing.cost import cost_usd, counted_usage


def new_completion_id() -> str:
    """``chatcmpl-`` plus 24 hex digits (api.md)."""
    return "chatcmpl-" + os.urandom(12).hex()


@dataclass(slots=True)
class Attempt:
    """One try at one provider with one key, for route_trace, the ledger and 502 bodies."""

    provider: str
    model: str
    key: str
    outcome: str
    status: int
    latency_ms: float
    error_code: str = ""
    error_message: str = ""


@dataclass(slots=True)
class Served:
    """What served a request, for metadata, the ledger and budget settlement."""

    provider: str
    model: str
    key_id: str
    key_preview: str
    usage: Usage | None = None
    cost_usd: float = 0.0
    ttft_ms: float | None = None


@dataclass(slots=True)
class Meter:
    """What a stream has produced so far, kept up to date chunk by chunk, so that it is
    billed however it ends: completed, cut by the upstream, left by the client or ended
    by shutdown. The provider bills the account for the prompt and every token it
    generated, whether or not the client read them; so do we.

    ``usage`` is the upstream's own count when it sent one; until then the completion is
    counted from the text that passed through (four characters a token, as
    :func:`~gate_service.routing.cost.counted_usage`), and the prompt is estimated."""

    model: ModelInfo | None
    prompt_tokens: int
    chars: int = 0
    usage: Usage | None = None

    def final_usage(self) -> Usage:
        return self.usage or counted_usage(self.prompt_tokens, self.chars)

    def cost_usd(self) -> float:
        return cost_usd(self.model, self.final_usage())


@dataclass(slots=True)
class RequestContext:
    """Who asks, under which id and with which model controls (filled by the servicer);
    the router adds every attempt and what served, for the ledger."""

    client_id: str | None
    request_id: str
    include_route_trace: bool = False
    allowed_models: frozenset[str] = frozenset()
    free_only: bool = False
    # The request's overall time bound over every attempt (and shutdown's handle on it).
    deadline: Deadline = field(default_factory=unbounded)
    attempts: list[Attempt] = field(default_factory=list)
    served: Served | None = None


def skipped(provider: str, model: str, key: str, reason: str) -> Attempt:
    return Attempt(provider, model, key, "skipped", 0, 0.0, reason)


def all_failed(attempts: list[Attempt]) -> GateError:
    tried = [a for a in attempts if a.outcome != "skipped"]
    body = {"spidergate_error": {"attempts": [asdict(a) for a in attempts]}}
    if tried and all(a.error_code == FailureKind.TIMEOUT.value for a in tried):
        return GateError(
            "upstream_timeout", f"All {len(tried)} attempts timed out.", status=504, body=body
        )
    statuses = {a.status for a in tried}
    # 503 when every account is busy (rate limits, cooldowns, no headroom), 502 otherwise.
    status = 503 if not tried or statuses <= {429, 503} else 502
    message = (
        f"All {len(tried)} attempts failed."
        if tried
        else "Every provider account that could serve this is cooling down or at its limit."
    )
    return GateError("all_providers_failed", message, status=status, body=body)


def out_of_time(deadline: Deadline, attempts: list[Attempt]) -> GateError:
    """The answer for a request whose deadline passed (504) or that shutdown ended (503)."""
    body = {"spidergate_error": {"attempts": [asdict(a) for a in attempts]}}
    if deadline.ended == SHUTDOWN:
        return GateError(
            "service_unavailable",
            "The gateway is shutting down; this request was ended. Retry it.",
            body=body,
        )
    return GateError(
        "upstream_timeout",
        f"No answer within the request's deadline of {deadline.budget_s or 0:g} s.",
        body=body,
    )


def text_length(chunk: Chunk) -> int:
    """Characters of generated text in a chunk (content, reasoning, tool arguments)."""
    total = 0
    for choice in chunk.choices:
        delta = choice.delta
        total += len(delta.content or "") + len(delta.reasoning_content or "")
        for call in delta.tool_calls:
            total += len((call.function.arguments if call.function else None) or "")
    return total


def rewrite_chunk(chunk: Chunk, completion_id: str, model: str, wants_usage: bool) -> Chunk | None:
    """Our id and the served model on every chunk; usage only if the client asked."""
    chunk.id = completion_id
    chunk.model = model
    chunk.object = "chat.completion.chunk"
    if not wants_usage:
        if not chunk.choices:
            return None
        chunk.usage = None
    return chunk

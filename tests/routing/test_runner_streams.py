"""The failover runner's streams against a real upstream (the mock provider, real
adapters and chat attempts, an injected clock): failover is invisible until the first
chunk went out; after it a failure ends the stream with ``upstream_error``; a stream the
upstream accepted is billed however it ends."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from gate_service.chat.attempts import ChunkStream, ChunkStreamCall
from gate_service.deadline import Deadline
from gate_service.domain import Chunk
from gate_service.errors import GateError
from gate_service.providers.base import Target, WireAdapter
from gate_service.routing.runner import Run
from tests.routing.runner_world import (
    CEREBRAS,
    GROQ,
    ONE,
    Gate,
    trace,
)


async def stream(
    gate: Gate, *, read: int | None = None, **body: Any
) -> tuple[Run, list[list[Chunk]], GateError | None]:
    """Stream and collect the batches (``read``: leave after that many)."""
    run, request, _ = gate.run(stream=True, **body)
    batches: list[list[Chunk]] = []
    error = None
    try:
        async with contextlib.aclosing(run.stream(ChunkStreamCall(gate.session, request))) as it:
            async for batch in it:
                batches.append(batch)
                if read is not None and len(batches) >= read:
                    break
    except GateError as exc:
        error = exc
    return run, batches, error


WORDS: dict[str, Any] = {"messages": [{"role": "user", "content": "[mock:words=30] go"}]}


async def test_a_stream_fails_over_invisibly_before_its_first_chunk(gate: Gate) -> None:
    gate.fault(kind="reset", match={"model": GROQ})
    run, batches, error = await stream(gate)
    assert error is None
    chunks = [c for b in batches for c in b]
    assert {c.model for c in chunks} == {CEREBRAS}
    assert len({c.id for c in chunks}) == 1
    assert chunks[-1].choices[0].finish_reason == "stop"
    outcome = run.outcome
    assert trace(outcome) == [
        ("groq", "groq-1", "error", "connection"),
        ("groq", "groq-2", "error", "connection"),
        ("cerebras", "cerebras-1", "success", ""),
    ]
    assert outcome.index == 1
    assert outcome.served is not None and outcome.served.ttft_ms is not None
    assert outcome.served.cost_usd > 0


async def test_a_stream_refused_at_its_headers_fails_over(gate: Gate) -> None:
    gate.fault(kind="error", status=503, match={"model": GROQ})
    run, batches, error = await stream(gate)
    assert error is None and batches
    assert [a.error_code for a in run.outcome.attempts][:2] == ["server", "server"]
    assert run.outcome.index == 1


@pytest.mark.parametrize(
    ("kind", "code"), [("stream_cut", "connection"), ("malformed_sse", "protocol")]
)
async def test_a_stream_broken_after_its_first_chunk_ends_with_upstream_error(
    gate: Gate, kind: str, code: str
) -> None:
    gate.fault(kind=kind, after_chunks=3, match={"model": GROQ})
    run, batches, error = await stream(gate, **WORDS)
    assert error is not None and error.code == "upstream_error"
    chunks = [c for b in batches for c in b]
    assert 1 <= len(chunks) <= 3 and {c.model for c in chunks} == {GROQ}
    outcome = run.outcome
    assert trace(outcome) == [("groq", "groq-1", "error", code)]
    assert gate.mock.state.total == 1  # no silent switch mid-answer
    assert gate.health.key("groq-1").failures == 1
    # Billed for what it produced: the prompt and the text that passed through.
    served = outcome.served
    assert served is not None and served.usage is not None
    assert served.usage.extra["estimated"] is True and served.usage.completion_tokens > 0
    assert served.cost_usd > 0
    assert gate.health.spend_in_period("groq-1", "monthly") == served.cost_usd


async def test_a_stream_the_caller_leaves_is_billed_and_releases_the_key(gate: Gate) -> None:
    gate.fault(kind="slow_stream", chunk_delay_ms=5, match={"model": GROQ})
    run, batches, error = await stream(gate, read=1, **WORDS)
    assert error is None and len(batches) == 1
    outcome = run.outcome
    assert outcome.attempts == []  # no verdict: neither a success nor a failure
    served = outcome.served
    assert served is not None and served.key_id == "groq-1" and served.cost_usd > 0
    assert served.usage is not None and served.usage.prompt_tokens > 0
    assert gate.health.spend_in_period("groq-1", "monthly") == served.cost_usd
    assert gate.state("groq-1") == "healthy"


async def test_a_stream_out_of_time_before_its_first_chunk_is_504(gate: Gate) -> None:
    deadline = Deadline(5.0, clock=gate.clock)
    gate.fault(kind="reset", match={"key": ONE})
    run, request, _ = gate.run(deadline, stream=True)
    call = ChunkStreamCall(gate.session, request)

    async def late(
        target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
    ) -> ChunkStream:
        # The attempt starts in time; the clock jumps past the deadline while it fails.
        try:
            return await call(target, adapter, deadline, timeout_s)
        finally:
            gate.clock.now += 6.0

    with pytest.raises(GateError) as info:
        async for _ in run.stream(late):
            pass
    assert (info.value.http_status, info.value.code) == (504, "upstream_timeout")
    assert gate.health.key("groq-1").failures == 0
    assert run.outcome.served is None  # the upstream never took it: nothing to bill

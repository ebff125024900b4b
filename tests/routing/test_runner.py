"""The failover runner against a real upstream: every fallback rule of
vault-and-routing.md, with the real wire adapters and chat attempts, over HTTP to our
mock provider (scripted faults), and an injected clock for key health, the request's
deadline and latencies. Nothing waits for wall-clock time: a cooldown or a deadline
passes by moving the clock. Only the timeout rule takes real time: an attempt times out
after 200 ms (not less: the attempt that then serves must answer within the same bound,
on a machine shared by several test runs), against an upstream delaying 3 s.

The plan: ``spideriq/fast`` with keys for groq (two: ``GROQ_ONE`` first by priority,
``GROQ_TWO``), cerebras and, through ``fallback_models``, Anthropic (another wire
format); the other candidates of the alias have no key and drop out.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from gate_service.catalog.loader import load_bundled
from gate_service.catalog.snapshot import Catalog
from gate_service.chat.attempts import ChunkStream, ChunkStreamCall, CompletionCall, chat_route
from gate_service.deadline import SHUTDOWN, Deadline, unbounded
from gate_service.errors import GateError
from gate_service.providers.base import Target, WireAdapter
from gate_service.providers.registry import default_adapters
from gate_service.providers.transport import create_session
from gate_service.routing.cost import cost_usd
from gate_service.routing.health import HealthBook
from gate_service.routing.outcome import Outcome, RequestContext
from gate_service.routing.plan import Planned
from gate_service.routing.router import Router
from gate_service.routing.runner import Call, Reply, Run
from mock_provider.server import MockServer, start_mock
from tests.upstreams import GROQ_ONE, GROQ_TWO, mock_key_pool

CATALOG = Catalog(load_bundled())
GROQ, CEREBRAS, CLAUDE = "llama-3.1-8b-instant", "llama3.1-8b", "claude-3-5-haiku-latest"
ONE, TWO = GROQ_ONE, GROQ_TWO
TIMEOUT_S = 10.0
# The per-attempt timeout of the timeout rule's tests, and the upstream's delay.
SHORT_TIMEOUT_MS, DELAY_MS = 200, 3000


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
async def mock() -> AsyncIterator[MockServer]:
    server = await start_mock()
    yield server
    await server.close()


@pytest.fixture(scope="module")
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    s = create_session()
    yield s
    await s.close()


@dataclass
class Gate:
    """The runner's world for one test: fresh key health on a fake clock."""

    mock: MockServer
    session: aiohttp.ClientSession
    clock: Clock = field(default_factory=Clock)
    router: Router = field(init=False)

    def __post_init__(self) -> None:
        keys = mock_key_pool(self.mock.url)
        health = HealthBook(clock=self.clock, wall_clock=lambda: 1_800_000_000.0)
        self.router = Router(
            lambda: CATALOG, keys, default_adapters(), health=health, clock=self.clock
        )

    @property
    def health(self) -> HealthBook:
        return self.router.health

    def fault(self, **rule: Any) -> None:
        self.mock.state.add_fault(rule)

    def state(self, key_id: str) -> str:
        return self.health.key(key_id).state(self.clock())

    def run(
        self, deadline: Deadline | None = None, **body: Any
    ) -> tuple[Run, dict[str, Any], list[Planned]]:
        request: dict[str, Any] = {
            "model": "spideriq/fast",
            "messages": [{"role": "user", "content": "hi"}],
            **body,
        }
        options = request.setdefault("spidergate_options", {})
        options.setdefault("fallback_models", ["anthropic/" + CLAUDE])
        options.setdefault("timeout_ms", TIMEOUT_S * 1000)
        planned = self.router.planner.prepare(RequestContext(None, "rid"), request)
        route = chat_route(request, planned, deadline or unbounded(), 60.0)
        return self.router.runner.run(route), request, planned

    async def complete(
        self, deadline: Deadline | None = None, *, wrap: Any = None, **body: Any
    ) -> tuple[Outcome, dict[str, Any]]:
        run, request, _ = self.run(deadline, **body)
        call: Call[dict[str, Any]] = CompletionCall(self.session, request)
        completion = await run.unary(wrap(call) if wrap else call)
        return run.outcome, completion

    async def fails(self, deadline: Deadline | None = None, **body: Any) -> tuple[Run, GateError]:
        run, request, _ = self.run(deadline, **body)
        with pytest.raises(GateError) as info:
            await run.unary(CompletionCall(self.session, request))
        return run, info.value


@pytest.fixture
async def gate(mock: MockServer, session: aiohttp.ClientSession) -> Gate:
    mock.state.reset()
    return Gate(mock, session)


def options_for(rule: dict[str, Any]) -> dict[str, Any]:
    """A short per-attempt timeout for a delaying upstream; the default otherwise."""
    return {"timeout_ms": SHORT_TIMEOUT_MS} if rule["kind"] == "delay" else {}


def trace(outcome: Outcome) -> list[tuple[str, str, str, str]]:
    return [(a.provider, a.key, a.outcome, a.error_code) for a in outcome.attempts]


def attempts_of(exc: GateError) -> list[tuple[str, str, str]]:
    body = exc.body or {}
    return [
        (a["provider"], a["outcome"], a["error_code"]) for a in body["spidergate_error"]["attempts"]
    ]


# ---------------------------------------------------------------------- unary


async def test_served_by_the_first_choice_with_usage_cost_and_spend(gate: Gate) -> None:
    def slow(call: Call[dict[str, Any]]) -> Call[dict[str, Any]]:
        async def timed(
            target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
        ) -> Reply[dict[str, Any]]:
            reply = await call(target, adapter, deadline, timeout_s)
            gate.clock.now += 0.25  # the injected clock measures the attempt
            return reply

        return timed

    outcome, completion = await gate.complete(wrap=slow)
    assert trace(outcome) == [("groq", "groq-1", "success", "")]
    assert outcome.index == 0 and outcome.latency_ms == 250.0
    assert outcome.attempts[0].latency_ms == 250.0
    served = outcome.served
    assert served is not None and (served.provider, served.model) == ("groq", GROQ)
    assert served.key_id == "groq-1" and served.ttft_ms is None
    assert served.usage is not None and served.usage == completion["usage"]
    assert served.usage["prompt_tokens"] > 0
    model = CATALOG.model("groq/" + GROQ)
    assert served.cost_usd == cost_usd(model, served.usage) > 0
    assert gate.health.spend_in_period("groq-1", "monthly") == served.cost_usd
    assert gate.mock.state.by_key == {ONE: 1}


async def test_429_rests_the_key_for_retry_after_and_the_next_key_serves(gate: Gate) -> None:
    gate.fault(kind="error", status=429, headers={"Retry-After": "30"}, match={"key": ONE})
    outcome, _ = await gate.complete()
    assert trace(outcome) == [
        ("groq", "groq-1", "error", "rate_limited"),
        ("groq", "groq-2", "success", ""),
    ]
    assert outcome.index == 0  # another key of the same candidate: no fallback
    assert gate.state("groq-1") == "cooldown"
    gate.clock.now += 29.9
    outcome, _ = await gate.complete()
    assert trace(outcome) == [
        ("groq", "groq-1", "skipped", "cooldown"),
        ("groq", "groq-2", "success", ""),
    ]
    gate.mock.state.clear_faults()
    gate.clock.now += 0.2  # the provider's Retry-After is over: back in rotation
    outcome, _ = await gate.complete()
    assert trace(outcome) == [("groq", "groq-1", "success", "")]
    assert gate.mock.state.by_key[ONE] == 2


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({"kind": "error", "status": 500}, "server"),
        ({"kind": "error", "status": 503}, "server"),
        ({"kind": "reset"}, "connection"),
        ({"kind": "delay", "delay_ms": DELAY_MS}, "timeout"),
    ],
)
async def test_outages_move_to_the_next_key_then_the_next_candidate(
    gate: Gate, rule: dict[str, Any], code: str
) -> None:
    gate.fault(**rule, match={"path": "/groq"})
    outcome, completion = await gate.complete(spidergate_options=options_for(rule))
    assert trace(outcome) == [
        ("groq", "groq-1", "error", code),
        ("groq", "groq-2", "error", code),
        ("cerebras", "cerebras-1", "success", ""),
    ]
    assert outcome.index == 1 and completion["model"] == CEREBRAS
    assert gate.state("groq-1") == gate.state("groq-2") == "degraded"


async def test_404_skips_the_candidate_and_cools_the_model(gate: Gate) -> None:
    gate.fault(kind="error", status=404, times=1, match={"model": GROQ})
    outcome, _ = await gate.complete()
    assert trace(outcome) == [
        ("groq", "groq-1", "error", "model_not_found"),
        ("cerebras", "cerebras-1", "success", ""),
    ]
    assert gate.mock.state.by_key[TWO] == 0  # the model is gone whatever the key
    assert gate.state("groq-1") == "healthy"
    outcome, _ = await gate.complete()
    assert trace(outcome)[0] == ("groq", "", "skipped", "model_cooldown")
    assert outcome.served is not None and outcome.served.provider == "cerebras"
    gate.clock.now += gate.health.model_cooldown_s
    outcome, _ = await gate.complete()
    assert trace(outcome) == [("groq", "groq-1", "success", "")]


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_failure_invalidates_the_key_and_the_next_key_serves(
    gate: Gate, status: int
) -> None:
    gate.fault(kind="error", status=status, match={"key": ONE})
    outcome, _ = await gate.complete()
    assert trace(outcome) == [
        ("groq", "groq-1", "error", "auth"),
        ("groq", "groq-2", "success", ""),
    ]
    gate.clock.now += 10_000
    outcome, _ = await gate.complete()
    assert trace(outcome) == [
        ("groq", "groq-1", "skipped", "invalid"),
        ("groq", "groq-2", "success", ""),
    ]
    assert gate.mock.state.by_key[ONE] == 1


async def test_provider_400_is_the_clients_400_and_never_retried(gate: Gate) -> None:
    gate.fault(kind="error", status=400, message="unsupported parameter", match={"model": GROQ})
    run, exc = await gate.fails()
    assert (exc.http_status, exc.code) == (400, "invalid_request")
    assert "unsupported parameter" in exc.message
    assert gate.mock.state.total == 1
    assert trace(run.outcome) == [("groq", "groq-1", "error", "bad_request")]
    assert gate.state("groq-1") == "healthy" and run.outcome.served is None


async def test_provider_text_is_redacted_before_it_is_recorded(gate: Gate) -> None:
    gate.fault(kind="error", status=500, message=f"bad key {ONE} and {TWO}", match={"key": ONE})
    outcome, _ = await gate.complete()
    message = outcome.attempts[0].error_message
    assert ONE not in message and TWO not in message and "[redacted]" in message


async def test_retry_count_caps_the_upstream_calls(gate: Gate) -> None:
    gate.fault(kind="error", status=500)
    _, exc = await gate.fails(spidergate_options={"retry_count": 1})
    assert gate.mock.state.total == 2
    assert attempts_of(exc) == [("groq", "error", "server"), ("groq", "error", "server")]
    assert exc.http_status == 502


@pytest.mark.parametrize(
    ("rule", "status", "code"),
    [
        ({"kind": "error", "status": 500}, 502, "all_providers_failed"),
        ({"kind": "error", "status": 429, "headers": {"Retry-After": "60"}}, 503, None),
        ({"kind": "delay", "delay_ms": DELAY_MS}, 504, "upstream_timeout"),
    ],
)
async def test_every_candidate_failing_lists_every_attempt(
    gate: Gate, rule: dict[str, Any], status: int, code: str | None
) -> None:
    gate.fault(**rule)
    _, exc = await gate.fails(spidergate_options=options_for(rule))
    assert exc.http_status == status
    assert exc.code == (code or "all_providers_failed")
    assert [p for p, _, _ in attempts_of(exc)] == ["groq", "groq", "cerebras", "anthropic"]
    if status == 503:
        # Every account is now resting: the next request tries nothing at all.
        _, again = await gate.fails()
        assert again.http_status == 503
        assert {outcome for _, outcome, _ in attempts_of(again)} == {"skipped"}


async def test_a_deadline_passed_during_an_attempt_is_504_and_not_the_keys_fault(
    gate: Gate,
) -> None:
    gate.fault(kind="error", status=500, match={"key": ONE})
    deadline = Deadline(5.0, clock=gate.clock)

    def late(call: Call[dict[str, Any]]) -> Call[dict[str, Any]]:
        async def slow(
            target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
        ) -> Reply[dict[str, Any]]:
            try:
                return await call(target, adapter, deadline, timeout_s)
            finally:
                gate.clock.now += 6.0

        return slow

    with pytest.raises(GateError) as info:
        await gate.complete(deadline, wrap=late)
    assert (info.value.http_status, info.value.code) == (504, "upstream_timeout")
    assert attempts_of(info.value) == [("groq", "error", "server")]
    assert gate.health.key("groq-1").failures == 0  # released, not failed
    assert gate.mock.state.total == 1


async def test_out_of_time_before_the_first_attempt(gate: Gate) -> None:
    deadline = Deadline(5.0, clock=gate.clock)
    gate.clock.now += 5.0
    run, exc = await gate.fails(deadline)
    assert (exc.http_status, exc.code) == (504, "upstream_timeout")
    assert gate.mock.state.total == 0 and run.outcome.attempts == []
    ended = Deadline(5.0, clock=gate.clock)
    ended.end(SHUTDOWN)
    _, exc = await gate.fails(ended)
    assert (exc.http_status, exc.code) == (503, "service_unavailable")


async def test_another_wire_format_serves_when_every_openai_upstream_fails(gate: Gate) -> None:
    gate.fault(kind="error", status=502, match={"format": "openai"})
    outcome, completion = await gate.complete()
    assert [a.provider for a in outcome.attempts] == ["groq", "groq", "cerebras", "anthropic"]
    assert outcome.index == 2 and completion["model"] == CLAUDE
    assert completion["choices"][0]["message"]["content"]
    assert outcome.served is not None and outcome.served.cost_usd > 0


# ---------------------------------------------------------------------- streams


async def stream(
    gate: Gate, *, read: int | None = None, **body: Any
) -> tuple[Run, list[list[dict[str, Any]]], GateError | None]:
    """Stream and collect the batches (``read``: leave after that many)."""
    run, request, _ = gate.run(stream=True, **body)
    batches: list[list[dict[str, Any]]] = []
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
    assert {c["model"] for c in chunks} == {CEREBRAS}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
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
    assert 1 <= len(chunks) <= 3 and {c["model"] for c in chunks} == {GROQ}
    outcome = run.outcome
    assert trace(outcome) == [("groq", "groq-1", "error", code)]
    assert gate.mock.state.total == 1  # no silent switch mid-answer
    assert gate.health.key("groq-1").failures == 1
    # Billed for what it produced: the prompt and the text that passed through.
    served = outcome.served
    assert served is not None and served.usage is not None
    assert served.usage["estimated"] is True and served.usage["completion_tokens"] > 0
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
    assert served.usage is not None and served.usage["prompt_tokens"] > 0
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

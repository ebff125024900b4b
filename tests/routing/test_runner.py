"""The failover runner against a real upstream (unary calls; streams:
``test_runner_streams.py``): every fallback rule of
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

from typing import Any

import pytest

from gate_service.deadline import SHUTDOWN, Deadline
from gate_service.domain import Completion
from gate_service.errors import GateError
from gate_service.providers.base import Target, WireAdapter
from gate_service.routing.cost import cost_usd
from gate_service.routing.runner import Call, Reply
from tests.routing.runner_world import (
    CATALOG,
    CEREBRAS,
    CLAUDE,
    DELAY_MS,
    GROQ,
    ONE,
    TWO,
    Gate,
    attempts_of,
    options_for,
    trace,
)


async def test_served_by_the_first_choice_with_usage_cost_and_spend(gate: Gate) -> None:
    def slow(call: Call[Completion]) -> Call[Completion]:
        async def timed(
            target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
        ) -> Reply[Completion]:
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
    assert served.usage is not None and served.usage == completion.usage
    assert served.usage.prompt_tokens > 0
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
    assert outcome.index == 1 and completion.model == CEREBRAS
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

    def late(call: Call[Completion]) -> Call[Completion]:
        async def slow(
            target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
        ) -> Reply[Completion]:
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
    assert outcome.index == 2 and completion.model == CLAUDE
    assert completion.choices[0].message.content
    assert outcome.served is not None and outcome.served.cost_usd > 0

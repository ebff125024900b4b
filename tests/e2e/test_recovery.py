"""Key health recovers (issue 8, "A blip becomes a 10-minute outage"), end to end: a burst
of concurrent requests meets an upstream fault (500s, resets, timeouts, streams cut or
malformed after a few chunks), the fault is removed, and the provider serves again well
within the issue's 35 s bar. Real bridge, core and mock provider sockets; the mock's
fault rules are the only misbehaviour.

Each test waits for the event (a request served again), polling; the 35 s deadline is
the assertion. Measured recoveries are printed (``pytest -s``): see docs/key-health.md.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.stack import Stack

GROQ_FAST = "llama-3.1-8b-instant"
BURST = 30  # requests fired at once while the fault is on
RECOVERY_BAR_S = 35.0  # the bar; the design's bound is 5 s after a short burst
ASK = [{"role": "user", "content": "[mock:words=20] go"}]


@pytest.fixture(autouse=True)
def clean(stack: Stack) -> Iterator[None]:
    """Every key healthy and no fault before and after: the session stack is shared."""
    stack.core.router.health.clear()
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    yield
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    stack.core.router.health.clear()


@pytest.fixture(scope="module")
def recovery_brand(stack: Stack) -> tuple[str, str]:
    """(client_id, agent token) of a brand with no keys of its own yet."""
    view, _ = stack.core.identity.create_brand("recovery")
    _, token = stack.core.identity.mint_token(view.client_id, "agent", None)
    return view.client_id, str(token)


def body(stream: bool, timeout_ms: int | None, model: str = "groq/" + GROQ_FAST) -> dict[str, Any]:
    payload: dict[str, Any] = {"model": model, "messages": ASK, "stream": stream}
    if timeout_ms is not None:
        payload["spidergate_options"] = {"timeout_ms": timeout_ms}
    return payload


def served(response: httpx.Response, stream: bool) -> str | None:
    """The model that answered, or None when the request failed (an error status, or a
    stream that ended with an error event)."""
    if response.status_code != 200:
        return None
    if not stream:
        return str(response.json()["model"])
    events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    if not events or events[-1] != "[DONE]":
        return None
    chunks = [json.loads(e) for e in events[:-1]]
    if not chunks or any("error" in c for c in chunks):
        return None
    return str(chunks[0]["model"])


async def burst(stack: Stack, token: str, payload: dict[str, Any]) -> list[str | None]:
    """BURST identical requests at once; what served each (None: failed)."""
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=BURST)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60, limits=limits) as client:

        async def one() -> str | None:
            r = await client.post("/chat/completions", json=payload, headers=headers)
            return served(r, payload["stream"])

        return list(await asyncio.gather(*(one() for _ in range(BURST))))


def wait_until_served(
    stack: Stack, token: str, payload: dict[str, Any], ok: Callable[[str | None], bool]
) -> float:
    """Seconds until a request is answered to ``ok``'s liking; fails past the bar."""
    headers = {"Authorization": f"Bearer {token}"}
    start = time.monotonic()
    deadline = start + RECOVERY_BAR_S
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        while True:
            r = client.post("/chat/completions", json=payload, headers=headers)
            elapsed = time.monotonic() - start
            if ok(served(r, payload["stream"])):
                return elapsed
            assert time.monotonic() < deadline, (
                f"not served {elapsed:.1f} s after the fault ended: {r.status_code} {r.text[:300]}"
            )
            time.sleep(0.05)  # a poll interval, not a wait for the outcome


@pytest.mark.parametrize(
    ("rule", "stream", "timeout_ms"),
    [
        pytest.param({"kind": "error", "status": 500}, False, None, id="500"),
        pytest.param({"kind": "error", "status": 503}, True, None, id="503-stream"),
        pytest.param({"kind": "reset"}, False, None, id="reset"),
        pytest.param({"kind": "delay", "delay_ms": 1500}, False, 500, id="timeout"),
        pytest.param({"kind": "stream_cut", "after_chunks": 2}, True, None, id="stream_cut"),
        pytest.param({"kind": "malformed_sse", "after_chunks": 2}, True, None, id="malformed_sse"),
    ],
)
def test_a_burst_of_failures_then_the_provider_serves_again_within_seconds(
    stack: Stack,
    recovery_brand: tuple[str, str],
    add_key: Callable[..., Any],
    rule: dict[str, Any],
    stream: bool,
    timeout_ms: int | None,
) -> None:
    client_id, token = recovery_brand
    for n in range(3):
        add_key(
            "groq", f"gsk-recovery-{n}", client_id=client_id, base_url=stack.mock.url + "/groq/v1"
        )
    keys = stack.core.keys.keys_for(client_id, "groq")
    assert len(keys) == 4  # three brand keys, then the pool's demo key
    payload = body(stream, timeout_ms)
    assert asyncio.run(burst(stack, token, payload)).count(GROQ_FAST) == BURST  # all well

    httpx.post(
        stack.mock.url + "/__mock/faults", json={**rule, "match": {"model": GROQ_FAST}}
    ).raise_for_status()
    hits = stack.mock.state.total
    started = time.monotonic()
    outcomes = asyncio.run(burst(stack, token, payload))
    burst_s = time.monotonic() - started
    assert outcomes == [None] * BURST  # every request met the fault
    assert stack.mock.state.total - hits >= BURST

    health = stack.core.router.health
    now = health.clock()
    states = [health.key(k.id) for k in keys]
    counted = [s.failures for s in states]
    # One short incident: no quarantine grew (only a failed probe grows one), so no key
    # is out for longer than the first quarantine.
    assert all(s.quarantine_s <= health.quarantine_s for s in states)
    assert all(s.quarantine_until - now <= health.quarantine_s for s in states)

    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    recovered_s = wait_until_served(stack, token, payload, lambda model: model == GROQ_FAST)
    print(
        f"\n{rule}: burst of {BURST} in {burst_s:.2f} s; outages counted per key "
        f"{counted}; served again {recovered_s:.2f} s after the fault ended"
    )
    assert recovered_s < RECOVERY_BAR_S


def test_an_alias_gets_its_first_provider_back(stack: Stack, token: str) -> None:
    """``spideriq/fast`` fails over to cerebras while groq answers 500s; once groq is fine
    its key ranks first again within seconds (a degraded key goes last for 5 s, a
    quarantined one waits 5 s for its probe) instead of losing its traffic for good."""
    payload = body(False, None, model="spideriq/fast")
    httpx.post(
        stack.mock.url + "/__mock/faults",
        json={"kind": "error", "status": 500, "match": {"model": GROQ_FAST}},
    ).raise_for_status()
    outcomes = asyncio.run(burst(stack, token, payload))
    assert outcomes == ["llama3.1-8b"] * BURST  # cerebras served them all
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    recovered_s = wait_until_served(stack, token, payload, lambda model: model == GROQ_FAST)
    print(f"\nalias: groq first again {recovered_s:.2f} s after the fault ended")
    assert recovered_s < RECOVERY_BAR_S


def test_a_sustained_fault_quarantines_then_the_probe_restores(
    stack: Stack, recovery_brand: tuple[str, str], add_key: Callable[..., Any]
) -> None:
    """Requests one after another against a failing upstream: three outages (a window
    apart) quarantine every key; while quarantined nothing reaches the upstream and the
    answer is an immediate 503; once the fault ends the first request after the 5 s
    quarantine is the probe, and its success restores the key."""
    client_id, token = recovery_brand
    add_key("groq", "gsk-recovery-q", client_id=client_id, base_url=stack.mock.url + "/groq/v1")
    keys = stack.core.keys.keys_for(client_id, "groq")
    health = stack.core.router.health
    payload = body(False, None)
    headers = {"Authorization": f"Bearer {token}"}
    httpx.post(
        stack.mock.url + "/__mock/faults",
        json={"kind": "error", "status": 500, "match": {"model": GROQ_FAST}},
    ).raise_for_status()
    deadline = time.monotonic() + 20
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        while not all(health.key(k.id).state(health.clock()) == "unhealthy" for k in keys):
            assert time.monotonic() < deadline, [health.key(k.id) for k in keys]
            assert client.post("/chat/completions", json=payload, headers=headers).is_error
            time.sleep(0.1)  # a poll interval: the outages are counted a window apart
        hits = stack.mock.state.total
        r = client.post("/chat/completions", json=payload, headers=headers)
    assert r.status_code == 503
    attempts = r.json()["spidergate_error"]["attempts"]
    assert {(a["outcome"], a["error_code"]) for a in attempts} == {("skipped", "unhealthy")}
    assert stack.mock.state.total == hits  # quarantined: nothing sent upstream
    assert all(health.key(k.id).quarantine_s == health.quarantine_s for k in keys)

    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    recovered_s = wait_until_served(stack, token, payload, lambda model: model == GROQ_FAST)
    print(f"\nquarantined: served again {recovered_s:.2f} s after the fault ended")
    assert recovered_s < RECOVERY_BAR_S
    assert any(health.key(k.id).state(health.clock()) == "healthy" for k in keys)

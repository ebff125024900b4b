"""Every fallback rule of vault-and-routing.md, driven by the mock's scripted faults over
the real bridge, core and upstream sockets; and the issue's pooled-keys scenario."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.stack import Stack

GROQ_FAST = "llama-3.1-8b-instant"


@pytest.fixture(autouse=True)
def clean(stack: Stack) -> Iterator[None]:
    stack.core.router.health.clear()
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    yield
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    stack.core.router.health.clear()


class ShiftedClock:
    """The key health book's clock, moved forward on demand: a test waits out a cooldown
    by moving it, not by sleeping."""

    def __init__(self, base: Callable[[], float]) -> None:
        self.base = base
        self.shift = 0.0

    def __call__(self) -> float:
        return self.base() + self.shift


@pytest.fixture
def health_clock(stack: Stack) -> Iterator[ShiftedClock]:
    health = stack.core.router.health
    clock = ShiftedClock(health.clock)
    health.clock = clock
    yield clock
    health.clock = clock.base


def fault(stack: Stack, **rule: object) -> None:
    httpx.post(stack.mock.url + "/__mock/faults", json=rule).raise_for_status()


def chat(
    stack: Stack, token: str, query: str = "?include_route_trace=true", **body: object
) -> httpx.Response:
    payload = {"model": "spideriq/fast", "messages": [{"role": "user", "content": "hi"}], **body}
    return httpx.post(
        stack.base_url + "/chat/completions" + query,
        json=payload,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def sse(text: str) -> list[str]:
    return [line[6:] for line in text.splitlines() if line.startswith("data: ")]


def trace(r: httpx.Response) -> list[tuple[str, str, str]]:
    return [(a["provider"], a["outcome"], a["error_code"]) for a in r.json()["route_trace"]]


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({"kind": "error", "status": 429, "headers": {"Retry-After": "30"}}, "rate_limited"),
        ({"kind": "error", "status": 500}, "server"),
        ({"kind": "error", "status": 503}, "server"),
        ({"kind": "reset"}, "connection"),
        ({"kind": "delay", "delay_ms": 1500}, "timeout"),
        ({"kind": "error", "status": 404}, "model_not_found"),
        ({"kind": "error", "status": 401}, "auth"),
        ({"kind": "error", "status": 403}, "auth"),
    ],
)
def test_each_failure_moves_on_to_the_next_candidate(
    stack: Stack, token: str, rule: dict[str, object], code: str
) -> None:
    fault(stack, **rule, match={"model": GROQ_FAST})
    r = chat(stack, token, spidergate_options={"timeout_ms": 500})
    assert r.status_code == 200, r.text
    assert r.json()["model"] == "llama3.1-8b"
    assert trace(r)[0] == ("groq", "error", code)
    assert trace(r)[-1][:2] == ("cerebras", "success")
    assert r.headers["x-spidergate-fallback-from"] == GROQ_FAST


def test_401_marks_the_key_invalid_and_it_is_not_retried(stack: Stack, token: str) -> None:
    fault(stack, kind="error", status=401, match={"model": GROQ_FAST})
    chat(stack, token)
    httpx.delete(stack.mock.url + "/__mock/faults")
    groq_key = stack.core.keys.keys_for(None, "groq")[0]
    health = stack.core.router.health
    assert health.key(groq_key.id).state(health.clock()) == "invalid"
    before = stack.mock.state.by_model[GROQ_FAST]
    r = chat(stack, token)
    assert stack.mock.state.by_model[GROQ_FAST] == before  # the invalid key is not tried
    assert r.json()["model"] == "llama3.1-8b"
    # Asked for directly, groq's only key is skipped as invalid: every account is unusable.
    r = chat(stack, token, model="groq/" + GROQ_FAST)
    assert r.status_code == 503
    assert r.json()["spidergate_error"]["attempts"][0]["error_code"] == "invalid"


def test_404_puts_the_model_in_cooldown(stack: Stack, token: str) -> None:
    fault(stack, kind="error", status=404, times=1, match={"model": GROQ_FAST})
    chat(stack, token)
    r = chat(stack, token)
    assert ("groq", "skipped", "model_cooldown") in trace(r)
    assert r.json()["model"] == "llama3.1-8b"


def test_provider_400_is_not_retried(stack: Stack, token: str) -> None:
    fault(
        stack, kind="error", status=400, message="unsupported parameter", match={"model": GROQ_FAST}
    )
    total = stack.mock.state.total
    r = chat(stack, token)
    assert r.status_code == 400 and "unsupported parameter" in r.json()["error"]["message"]
    assert stack.mock.state.total == total + 1


def test_stream_fails_over_invisibly_before_the_first_chunk(stack: Stack, token: str) -> None:
    fault(stack, kind="reset", match={"model": GROQ_FAST})
    r = chat(stack, token, "", stream=True)
    events = sse(r.text)
    assert r.status_code == 200 and events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all("error" not in c for c in chunks)
    assert {c["model"] for c in chunks} == {"llama3.1-8b"}
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("kind", ["stream_cut", "malformed_sse"])
def test_stream_failure_after_the_first_chunk_ends_with_one_error_then_done(
    stack: Stack, token: str, kind: str
) -> None:
    fault(stack, kind=kind, after_chunks=3, match={"model": GROQ_FAST})
    r = chat(
        stack, token, "", stream=True, messages=[{"role": "user", "content": "[mock:words=30] go"}]
    )
    events = sse(r.text)
    assert events[-1] == "[DONE]"
    errors = [json.loads(e) for e in events[:-1] if '"error"' in e]
    assert len(errors) == 1 and json.loads(events[-2]) == errors[0]
    assert errors[0]["error"]["code"] == "upstream_error"
    assert errors[0]["error"]["type"] == "api_error"
    chunks = [json.loads(e) for e in events[:-2]]
    assert 1 <= len(chunks) <= 3
    assert {c["model"] for c in chunks} == {GROQ_FAST}  # no silent switch mid-answer


def test_all_failing_lists_every_attempt(stack: Stack, token: str) -> None:
    fault(stack, kind="error", status=500)
    r = chat(stack, token)
    assert r.status_code == 502 and r.json()["error"]["code"] == "all_providers_failed"
    fault_free_rate_limit = [a["status"] for a in r.json()["spidergate_error"]["attempts"]]
    assert set(fault_free_rate_limit) == {500}


def test_every_account_busy_is_503(stack: Stack, token: str) -> None:
    fault(stack, kind="error", status=429, headers={"Retry-After": "60"})
    r = chat(stack, token)
    assert r.status_code == 503 and r.json()["error"]["code"] == "all_providers_failed"
    r = chat(stack, token)  # now every key is cooling down: nothing is even tried
    assert r.status_code == 503
    assert all(a["outcome"] == "skipped" for a in r.json()["spidergate_error"]["attempts"])


def test_three_pooled_keys_one_rate_limited(
    stack: Stack, add_key: Callable[..., Any], health_clock: ShiftedClock
) -> None:
    """Three keys for one provider, one answering 429: requests keep succeeding on the
    other two, the 429 key rests for the time the provider asked, then comes back."""
    view, _ = stack.core.identity.create_brand("pooled")
    _, tok = stack.core.identity.mint_token(view.client_id, "agent", None)
    secrets = ["gsk-pool-one", "gsk-pool-two", "gsk-pool-three"]
    for secret in secrets:
        add_key("groq", secret, client_id=view.client_id, base_url=stack.mock.url + "/groq/v1")
    fault(
        stack, kind="error", status=429, headers={"Retry-After": "2"}, match={"key": "gsk-pool-one"}
    )
    start = stack.mock.state.total
    for _ in range(12):
        r = chat(stack, str(tok), "", model="groq/" + GROQ_FAST)
        assert r.status_code == 200
    records = list(stack.mock.state.records)[-(stack.mock.state.total - start) :]
    used = Counter(rec.key for rec in records)
    assert used["gsk-pool-one"] == 1  # asked once, answered 429, then rested
    assert used["gsk-pool-two"] >= 5 and used["gsk-pool-three"] >= 5
    states = {
        k.preview: stack.core.router.health.key(k.id).state(stack.core.router.health.clock())
        for k in stack.core.keys.keys_for(view.client_id, "groq")
        if k.client_id
    }
    assert sorted(states.values()) == ["cooldown", "healthy", "healthy"]
    httpx.delete(stack.mock.url + "/__mock/faults")
    health_clock.shift += 2.1  # the 429's Retry-After is over
    start = stack.mock.state.total
    for _ in range(6):
        assert chat(stack, str(tok), "", model="groq/" + GROQ_FAST).status_code == 200
    back = Counter(
        rec.key for rec in list(stack.mock.state.records)[-(stack.mock.state.total - start) :]
    )
    assert back["gsk-pool-one"] >= 1  # back in rotation
    assert set(back) <= set(secrets)  # brand keys before pool keys


def test_every_groq_key_failing_serves_the_next_provider(stack: Stack, token: str) -> None:
    fault(stack, kind="error", status=503, match={"path": "/groq"})
    r = chat(stack, token, "")
    assert r.status_code == 200
    assert r.json()["model"] == "llama3.1-8b"
    assert r.headers["x-spidergate-fallback-from"] == GROQ_FAST
    assert r.json()["spidergate_metadata"]["original_model"] == GROQ_FAST

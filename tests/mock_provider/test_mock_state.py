"""Request recording, fault rules and the ``/__mock`` admin endpoints."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from mock_provider import FaultRule, MockServer, MockState

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


def record(state: MockState, *, model: str | None = "m", key: str | None = "k") -> None:
    state.record(
        method="POST",
        path="/v1/chat/completions",
        prefix="/v1",
        endpoint="openai.chat.completions",
        model=model,
        key=key,
        authorization=f"Bearer {key}" if key else None,
        x_api_key=None,
        headers={},
        body=None,
    )


def test_records_are_bounded_but_counters_are_not() -> None:
    state = MockState(max_records=3)
    for i in range(5):
        record(state, model=f"m{i % 2}")
    assert state.total == 5
    assert [r.seq for r in state.requests()] == [3, 4, 5]
    assert state.by_model == {"m0": 3, "m1": 2}
    assert [r.seq for r in state.requests(model="m0")] == [3, 5]
    assert [r.seq for r in state.requests(limit=1)] == [5]
    assert state.requests(limit=0) == []
    state.reset()
    assert (state.total, len(state.records), state.by_model) == (0, 0, {})


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"status": 200}, "status"),
        ({"status": "500"}, "status"),
        ({"times": 0}, "times"),
        ({"kind": "teleport"}, "kind"),
        ({"match": {"modle": "x"}}, "match fields"),
        ({"match": {"model": 3}}, "strings"),
        ({"colour": "red"}, "unknown fault fields"),
        ({"headers": ["x"]}, "headers"),
        ({"kind": "delay"}, "kind 'delay' needs 'delay_ms'"),
        ({"kind": "delay", "delay_ms": -1}, "delay_ms must be a non-negative integer"),
        ({"kind": "delay", "delay_ms": 1.5}, "delay_ms must be a non-negative integer"),
        ({"kind": "delay", "delay_ms": True}, "delay_ms must be a non-negative integer"),
        ({"kind": "stream_cut", "after_chunks": "3"}, "after_chunks must be a non-negative"),
        ({"kind": "slow_stream"}, "needs 'chunk_delay_ms'"),
        ({"kind": "slow_stream", "chunk_delay_ms": -5}, "chunk_delay_ms must be a non-negative"),
        ({"kind": "headers"}, "needs 'headers'"),
        ({"kind": "headers", "headers": {}}, "non-empty 'headers'"),
        ({"kind": "reset", "status": 500}, "status cannot be used with kind 'reset'"),
        ({"kind": "reset", "headers": {"a": "b"}}, "headers cannot be used with kind 'reset'"),
        ({"kind": "error", "after_chunks": 2}, "after_chunks cannot be used with kind 'error'"),
        ({"kind": "delay", "delay_ms": 5, "chunk_delay_ms": 1}, "chunk_delay_ms cannot be used"),
        ({"kind": 3}, "unknown fault kind"),
    ],
)
def test_fault_rule_validation(data: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        FaultRule.from_dict(data)


def test_fault_rule_fields_per_kind() -> None:
    cut = FaultRule.from_dict(
        {"kind": "stream_cut", "after_chunks": 0, "chunk_delay_ms": 5, "delay_ms": 10, "times": 1}
    )
    assert (cut.kind, cut.after_chunks, cut.chunk_delay_ms, cut.delay_ms) == (
        "stream_cut",
        0,
        5,
        10,
    )
    assert cut.to_json()["status"] is None  # meaningless for a non-error kind
    slow_error = FaultRule.from_dict({"status": 503, "delay_ms": 250})
    assert (slow_error.kind, slow_error.status, slow_error.delay_ms) == ("error", 503, 250)
    assert FaultRule.from_dict({"kind": "delay", "delay_ms": 0}).delay_ms == 0
    quota = FaultRule.from_dict({"kind": "headers", "headers": {"x-a": 1}})
    assert quota.headers == {"x-a": "1"}


def test_fault_matching_order_and_times() -> None:
    state = MockState()
    only_groq = state.add_fault({"status": 503, "times": 2, "match": {"path": "/groq"}})
    keyed = state.add_fault({"status": 429, "match": {"key": "k1", "model": "m"}})

    def take(path: str, key: str = "k1", model: str = "m") -> FaultRule | None:
        return state.take_fault(model=model, key=key, path=path, fmt="openai")

    assert take("/v1/chat/completions", key="k2") is None
    assert take("/v1/chat/completions", model="other") is None
    assert take("/v1/chat/completions") is keyed
    assert take("/groq/v1/chat/completions") is only_groq  # earlier rule wins
    assert take("/groq/v1/chat/completions") is only_groq
    assert take("/groq/v1/chat/completions") is keyed  # only_groq is used up
    assert state.faults == [keyed]
    assert (only_groq.hits, keyed.hits) == (2, 2)
    assert state.take_fault(model="m", key="k1", path="/", fmt="anthropic") is keyed
    assert (
        FaultRule.from_dict({"match": {"format": "anthropic"}}).match.matches(
            model=None, key=None, path="/", fmt="openai"
        )
        is False
    )


async def admin(server: MockServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method,
            f"{server.url}/__mock{path}",
            data=None if body is None else json.dumps(body),
        ) as response,
    ):
        return response.status, await response.json()


async def chat(server: MockServer, key: str = "k1") -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{server.url}/v1/chat/completions",
            json=CHAT,
            headers={"Authorization": f"Bearer {key}"},
        ) as response,
    ):
        await response.read()
        return response.status


async def test_admin_endpoints(mock_server: MockServer, state: MockState) -> None:
    assert await admin(mock_server, "GET", "/health") == (200, {"status": "ok", "total": 0})

    status, error = await admin(mock_server, "POST", "/faults", {"status": 42})
    assert status == 400 and "status" in error["error"]
    status, rule = await admin(
        mock_server, "POST", "/faults", {"status": 503, "times": 1, "match": {"key": "k1"}}
    )
    assert status == 201
    assert rule["id"] >= 1 and rule["times"] == 1 and rule["match"] == {"key": "k1"}
    assert (await admin(mock_server, "GET", "/faults"))[1]["faults"] == [rule]

    assert await chat(mock_server) == 503
    assert await chat(mock_server) == 200
    assert await chat(mock_server, key="k2") == 200

    status, seen = await admin(mock_server, "GET", "/requests?limit=2")
    assert status == 200
    assert seen["total"] == 3
    assert seen["by_model"] == {"gpt-4o": 3}
    assert seen["by_key"] == {"k1": 2, "k2": 1}
    assert seen["by_prefix"] == {"/v1": 3}
    assert [r["key"] for r in seen["requests"]] == ["k1", "k2"]
    assert seen["requests"][0]["authorization"] == "Bearer k1"
    assert seen["requests"][0]["body"] == CHAT
    _, only_k2 = await admin(mock_server, "GET", "/requests?key=k2")
    assert [r["seq"] for r in only_k2["requests"]] == [3]
    assert (await admin(mock_server, "GET", "/requests?limit=x"))[0] == 400

    state.add_fault({"status": 500})
    assert await admin(mock_server, "DELETE", "/faults") == (200, {"ok": True})
    assert state.faults == []
    state.add_fault({"status": 500})
    assert await admin(mock_server, "POST", "/reset") == (200, {"ok": True})
    assert (state.total, state.faults) == (0, [])

"""The analytics routes over the real stack: chat requests through the mock land in the
ledger and come back through ``GET /traces/stats``, ``/stats``, ``/flow``, ``/capacity``
and ``/usage?compare=true`` under both prefixes and over gRPC, each caller seeing its own
(a token its requests, a brand credential its brand's, the operator every brand's)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from gate_service.vault.records import KeyOptions
from spidergate.v1 import usage_pb2, usage_pb2_grpc
from tests.stack import Stack, make_settings

OPERATOR = "op-token-for-the-analytics-tests"
_names = itertools.count()


@pytest.fixture(scope="module")
def astack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = make_settings(Path(tmp_path_factory.mktemp("analytics-gateway")))
    s = Stack(dataclasses.replace(settings, operator_token=OPERATOR)).start(demo=True)
    yield s
    s.stop()


class Brand:
    def __init__(self, stack: Stack) -> None:
        view, self.credential = stack.core.identity.create_brand(f"analytics-{next(_names)}")
        self.client_id = view.client_id
        self.agent_a = str(stack.core.identity.mint_token(self.client_id, "agent-a", None)[1])
        self.agent_b = str(stack.core.identity.mint_token(self.client_id, "agent-b", None)[1])


def api(stack: Stack, path: str, token: str, prefix: str = "/api/gate/v1") -> httpx.Response:
    return httpx.get(
        f"http://127.0.0.1:{stack.http_port}{prefix}{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def ok(stack: Stack, path: str, token: str) -> dict[str, Any]:
    """The body, the same under both prefixes."""
    r = api(stack, path, token)
    assert r.status_code == 200, r.text
    again = api(stack, path, token, prefix="/v1")
    assert again.status_code == 200
    body: dict[str, Any] = r.json()
    # The window ends "now", and capacity's live key state may move between two calls.
    moving = {"from", "to", "data"} if body.get("object") == "capacity" else {"from", "to"}
    assert {k: v for k, v in again.json().items() if k not in moving} == {
        k: v for k, v in body.items() if k not in moving
    }
    return body


def chat(stack: Stack, token: str, **body: Any) -> httpx.Response:
    payload = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], **body}
    return httpx.post(
        stack.base_url + "/chat/completions",
        json=payload,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def flush(stack: Stack) -> None:
    assert stack.run(stack.core.ledger.flush())


def stub(stack: Stack) -> tuple[grpc.Channel, Any]:
    channel = grpc.insecure_channel(stack.grpc_target)
    return channel, usage_pb2_grpc.UsageServiceStub(channel)


@pytest.fixture(scope="module")
def traffic(astack: Stack) -> dict[str, Any]:
    """Brand one: agent-a three gpt-4o chats (one streamed), agent-b one unknown model
    (404) and one spideriq/fast; brand two: one chat."""
    started = datetime.now(UTC) - timedelta(seconds=1)
    one, two = Brand(astack), Brand(astack)
    answers = [
        chat(astack, one.agent_a),
        chat(astack, one.agent_a),
        chat(astack, one.agent_a, stream=True, stream_options={"include_usage": True}),
        chat(astack, one.agent_b, model="no-such-model"),
        chat(astack, one.agent_b, model="spideriq/fast"),
        chat(astack, two.agent_a),
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 404, 200, 200]
    flush(astack)
    return {"one": one, "two": two, "started": started, "ended": datetime.now(UTC)}


def test_trace_stats_match_the_traces(astack: Stack, traffic: dict[str, Any]) -> None:
    one = traffic["one"]
    listed = api(astack, "/traces", one.credential).json()["data"]
    stats = ok(astack, "/traces/stats", one.credential)
    assert stats["object"] == "trace.stats"
    assert (stats["count"], stats["success_count"], stats["error_count"]) == (5, 4, 1)
    assert stats["cost_usd"] == pytest.approx(sum(t["cost_usd"] for t in listed))
    latencies = sorted(t["latency_ms"] for t in listed if t["status"] < 400)
    assert stats["latency_p95_ms"] == pytest.approx(latencies[-1])  # nearest rank of 4

    mine = ok(astack, "/traces/stats", one.agent_a)
    assert (mine["count"], mine["error_count"]) == (3, 0)
    errors = ok(astack, "/traces/stats?status=error", one.credential)
    assert (errors["count"], errors["error_count"], errors["latency_p95_ms"]) == (1, 1, None)
    assert ok(astack, "/traces/stats?model=gpt-4o", one.credential)["count"] == 3
    assert ok(astack, "/traces/stats?agent=agent-b", one.credential)["count"] == 2
    slow = ok(astack, "/traces/stats?min_latency_ms=100000000", one.credential)
    assert (slow["count"], slow["latency_p95_ms"], slow["cost_usd"]) == (0, None, 0.0)
    priced = ok(astack, "/traces/stats?min_cost_usd=0.0000001", one.credential)
    assert priced["count"] == sum(1 for t in listed if t["cost_usd"] >= 0.0000001) > 0
    # The same filters narrow /traces.
    fast = api(astack, "/traces?min_latency_ms=100000000", one.credential).json()["data"]
    assert fast == []

    channel, usage = stub(astack)
    with channel:
        answer = usage.GetTraceStats(
            usage_pb2.GetTraceStatsRequest(model="gpt-4o"),
            metadata=[("authorization", f"Bearer {one.credential}")],
        )
    assert (answer.count, answer.success_count) == (3, 3)
    for bad, param in [
        ("min_latency_ms=-1", "min_latency_ms"),
        ("min_cost_usd=abc", "min_cost_usd"),
        ("status=maybe", "status"),
    ]:
        r = api(astack, f"/traces/stats?{bad}", one.credential)
        assert r.status_code == 400 and r.json()["error"]["param"] == param, r.text


def test_stats_per_caller_and_the_operator(astack: Stack, traffic: dict[str, Any]) -> None:
    one, two = traffic["one"], traffic["two"]
    brand = ok(astack, "/stats", one.credential)
    usage = api(astack, "/usage", one.credential).json()
    assert (brand["object"], brand["active_agents"], brand["requests"], brand["errors"]) == (
        "stats",
        2,
        5,
        1,
    )
    assert brand["cost_usd"] == pytest.approx(usage["totals"]["cost_usd"])
    assert ok(astack, "/stats", one.agent_b)["requests"] == 2
    assert ok(astack, "/stats", two.credential)["requests"] == 1
    every = ok(astack, "/stats", OPERATOR)
    every_usage = api(astack, "/usage", OPERATOR).json()["totals"]
    assert every["requests"] == every_usage["requests"] >= 6
    # A window after the traffic holds none of it.
    later = traffic["ended"] + timedelta(seconds=1)
    window = f"from={later:%Y-%m-%dT%H:%M:%S.%f}&to={later + timedelta(days=1):%Y-%m-%dT%H:%M:%S}"
    assert ok(astack, f"/stats?{window}", one.credential)["requests"] == 0
    r = api(astack, "/stats?from=tomorrow", one.credential)
    assert r.status_code == 400 and r.json()["error"]["param"] == "from"
    channel, usage_stub = stub(astack)
    with channel:
        answer = usage_stub.GetStats(
            usage_pb2.GetStatsRequest(), metadata=[("authorization", f"Bearer {OPERATOR}")]
        )
    assert answer.requests == every["requests"]


def test_flow_from_requested_to_served(astack: Stack, traffic: dict[str, Any]) -> None:
    one = traffic["one"]
    flow = ok(astack, "/flow", one.credential)
    assert flow["object"] == "flow" and flow["truncated"] is False
    rows = {(r["requested_model"], r["served_model"]): r for r in flow["data"]}
    assert sum(r["requests"] for r in flow["data"]) == 5
    assert rows["gpt-4o", "gpt-4o"]["requests"] == 3
    unserved = rows["no-such-model", None]
    assert (unserved["provider"], unserved["requests"], unserved["errors"]) == (None, 1, 1)
    assert flow["data"][0]["requested_model"] == "gpt-4o"  # largest first
    first = ok(astack, "/flow?days=1&limit=1", one.credential)
    assert first["truncated"] is True and first["data"] == flow["data"][:1]
    for bad, param in [("days=0", "days"), ("days=91", "days"), ("limit=x", "limit")]:
        r = api(astack, f"/flow?{bad}", one.credential)
        assert r.status_code == 400 and r.json()["error"]["param"] == param, r.text
    channel, usage = stub(astack)
    with channel:
        answer = usage.GetFlow(
            usage_pb2.GetFlowRequest(days=7),
            metadata=[("authorization", f"Bearer {one.agent_b}")],
        )
    assert sorted(r.requested_model for r in answer.rows) == ["no-such-model", "spideriq/fast"]


def test_usage_compare_reports_the_window_before(astack: Stack, traffic: dict[str, Any]) -> None:
    one = traffic["one"]
    after = traffic["ended"] + timedelta(seconds=1)
    start, end = after.isoformat(), (after + timedelta(days=1)).isoformat()
    body = api(
        astack, f"/usage?compare=true&from={start}&to={end}".replace("+", "%2B"), one.credential
    )
    assert body.status_code == 200, body.text
    report = body.json()
    assert report["totals"]["requests"] == 0
    before = report["comparison"]
    assert before["totals"]["requests"] == 5 and before["totals"]["errors"] == 1
    assert {g["agent"] for g in before["by_agent"]} == {"agent-a", "agent-b"}

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    # The window before ends where this one starts and is as long (times shown in ms).
    length = at(report["to"]) - at(report["from"])
    assert timedelta(0) <= at(report["from"]) - at(before["to"]) <= timedelta(milliseconds=1)
    assert abs(at(before["to"]) - at(before["from"]) - length) <= timedelta(milliseconds=1)
    assert "comparison" not in api(astack, "/usage", one.credential).json()
    r = api(astack, "/usage?compare=yes", one.credential)
    assert r.status_code == 400 and r.json()["error"]["param"] == "compare"
    channel, usage = stub(astack)
    with channel:
        answer = usage.GetUsage(
            usage_pb2.GetUsageRequest(compare=True),
            metadata=[("authorization", f"Bearer {one.credential}")],
        )
    assert answer.HasField("comparison") and answer.totals.requests == 5


def test_capacity_from_idle_to_account_capped(astack: Stack) -> None:
    """A brand's two openai keys with published daily limits, 25 requests: far from the
    limits, over-provisioned. Then the provider answers 429 on both keys (the pool's key
    still serves): rate-limited while the published limits leave room, account_capped."""
    brand = Brand(astack)
    mock = astack.mock.url.rstrip("/") + "/openai/v1"
    for n in range(2):
        astack.core.key_store.add_key(
            "openai",
            f"analytics-key-{brand.client_id}-{n}",
            client_id=brand.client_id,
            base_url=mock,
            options=KeyOptions(rpd_limit=1000),
        )
    astack.run(astack.core.refresh())
    assert all(chat(astack, brand.agent_a).status_code == 200 for _ in range(25))
    flush(astack)
    body = ok(astack, "/capacity?days=7&key_limit=50", brand.credential)
    openai = next(p for p in body["data"] if p["provider"] == "openai")
    assert openai["attempts"] == 25 and openai["rate_limited"] == 0
    assert (openai["registered_keys"], openai["eligible_keys"], openai["serving_keys"]) == (2, 2, 2)
    assert openai["limit_source"] == "published"
    assert openai["headroom_pct"] == round((1 - 25 / 14_000) * 100, 1)
    assert (openai["verdict"], openai["suggested_keys"]) == ("over_provisioned", None)

    for n in range(2):
        rule = {
            "kind": "error",
            "status": 429,
            "match": {"key": f"analytics-key-{brand.client_id}-{n}"},
        }
        httpx.post(astack.mock.url + "/__mock/faults", json=rule).raise_for_status()
    try:
        assert all(chat(astack, brand.agent_a).status_code == 200 for _ in range(5))
    finally:
        httpx.delete(astack.mock.url + "/__mock/faults").raise_for_status()
    flush(astack)
    openai = next(
        p for p in ok(astack, "/capacity", brand.credential)["data"] if p["provider"] == "openai"
    )
    assert openai["rate_limited"] >= 1 and openai["attempts"] >= 30
    assert openai["rate_limited_share"] == round(openai["rate_limited"] / openai["attempts"], 6)
    assert openai["errors"] == openai["rate_limited"] and openai["eligible_keys"] == 2
    assert openai["verdict"] == "account_capped"
    r = api(astack, "/capacity?key_limit=0", brand.credential)
    assert r.status_code == 400 and r.json()["error"]["param"] == "key_limit"
    channel, usage = stub(astack)
    with channel:
        answer = usage.GetCapacity(
            usage_pb2.GetCapacityRequest(days=7),
            metadata=[("authorization", f"Bearer {brand.credential}")],
        )
    assert "openai" in [p.provider for p in answer.providers]


def test_the_usage_scope_and_tenancy(astack: Stack, traffic: dict[str, Any]) -> None:
    one, two = traffic["one"], traffic["two"]
    _, narrow = astack.core.identity.mint_token(one.client_id, "no-usage", ["gate:chat"])
    for path in ("/traces/stats", "/stats", "/flow", "/capacity"):
        assert api(astack, path, str(narrow)).status_code == 403
        assert (
            httpx.get(f"http://127.0.0.1:{astack.http_port}/api/gate/v1{path}").status_code == 401
        )
    # Brand two sees only its own request, by every route.
    assert ok(astack, "/traces/stats", two.credential)["count"] == 1
    assert sum(r["requests"] for r in ok(astack, "/flow", two.credential)["data"]) == 1

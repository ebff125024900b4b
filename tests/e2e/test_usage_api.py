"""Usage and traces over the real stack: chat requests land in the ledger and come back
through ``GET /usage``, ``GET /traces`` and ``GET /traces/{id}`` (REST and gRPC), each
caller seeing only its own: a token its requests, a brand credential its brand's, and
another brand nothing, by id, filter or path. Requests of other kinds (through the
gateway, one of each) are reported by kind, each priced at its catalog unit."""

from __future__ import annotations

import io
import itertools
import wave
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import pytest
from openai import OpenAI

from spidergate.v1 import usage_pb2, usage_pb2_grpc
from tests.stack import Stack

_names = itertools.count()


class Brand:
    """A fresh brand with two agents, on the shared stack."""

    def __init__(self, stack: Stack) -> None:
        view, self.credential = stack.core.identity.create_brand(f"usage-brand-{next(_names)}")
        self.client_id = view.client_id
        self.agent_a = str(stack.core.identity.mint_token(self.client_id, "agent-a", None)[1])
        self.agent_b = str(stack.core.identity.mint_token(self.client_id, "agent-b", None)[1])


def api(stack: Stack, path: str, token: str | None, prefix: str = "/api/gate/v1") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"http://127.0.0.1:{stack.http_port}{prefix}{path}", headers=headers)


def chat(stack: Stack, token: str, **body: Any) -> httpx.Response:
    payload = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], **body}
    r = httpx.post(
        stack.base_url + "/chat/completions",
        json=payload,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    return r


def flush(stack: Stack) -> None:
    assert stack.run(stack.core.ledger.flush())


@pytest.fixture(scope="module")
def traffic(stack: Stack) -> dict[str, Any]:
    """Brand one: agent-a makes a plain and a streamed request, agent-b one that fails
    (unknown model) and one plain; brand two: one request."""
    one, two = Brand(stack), Brand(stack)
    plain = chat(stack, one.agent_a)
    streamed = chat(stack, one.agent_a, stream=True, stream_options={"include_usage": True})
    missing = chat(stack, one.agent_b, model="no-such-model")
    other_agent = chat(stack, one.agent_b, model="spideriq/fast")
    stranger = chat(stack, two.agent_a)
    assert [r.status_code for r in (plain, streamed, missing, other_agent, stranger)] == [
        200,
        200,
        404,
        200,
        200,
    ]
    flush(stack)
    return {
        "one": one,
        "two": two,
        "ids": {
            name: r.headers["x-request-id"]
            for name, r in [
                ("plain", plain),
                ("streamed", streamed),
                ("missing", missing),
                ("other_agent", other_agent),
                ("stranger", stranger),
            ]
        },
    }


def test_a_token_sees_its_own_usage(stack: Stack, traffic: dict[str, Any]) -> None:
    body = api(stack, "/usage", traffic["one"].agent_a).json()
    assert body["object"] == "usage" and body["bucket"] == "day"
    totals = body["totals"]
    assert (totals["requests"], totals["errors"], totals["error_rate"]) == (2, 0, 0.0)
    assert totals["prompt_tokens"] > 0 and totals["completion_tokens"] > 0
    assert totals["cost_usd"] > 0 and totals["latency_ms"]["p50"] > 0
    assert [g["agent"] for g in body["by_agent"]] == ["agent-a"]
    assert [(g["model"], g["requests"]) for g in body["by_model"]] == [("gpt-4o", 2)]
    assert [g["provider"] for g in body["by_provider"]] == ["openai"]
    assert len(body["by_bucket"]) == 1 and body["by_bucket"][0]["requests"] == 2


def test_a_brand_credential_sees_the_whole_brand(stack: Stack, traffic: dict[str, Any]) -> None:
    body = api(stack, "/usage?bucket=hour", traffic["one"].credential).json()
    assert body["bucket"] == "hour"
    assert (body["totals"]["requests"], body["totals"]["errors"]) == (4, 1)
    assert {g["agent"]: g["requests"] for g in body["by_agent"]} == {"agent-a": 2, "agent-b": 2}
    assert {g["alias"]: g["requests"] for g in body["by_alias"]} == {None: 3, "spideriq/fast": 1}
    unserved = [g for g in body["by_model"] if g["model"] is None]
    assert unserved[0]["errors"] == 1 and unserved[0]["latency_ms"]["p50"] is None
    traces = api(stack, "/traces", traffic["one"].credential).json()
    ids = traffic["ids"]
    assert [t["id"] for t in traces["data"]] == [
        ids["other_agent"],
        ids["missing"],
        ids["streamed"],
        ids["plain"],
    ]


def test_traces_list_and_one_trace(stack: Stack, traffic: dict[str, Any]) -> None:
    ids = traffic["ids"]
    token = traffic["one"].agent_a
    page = api(stack, "/traces", token).json()
    assert page["object"] == "list" and page["has_more"] is False
    assert (page["limit"], page["offset"]) == (50, 0)
    assert {t["id"] for t in page["data"]} == {ids["plain"], ids["streamed"]}
    assert all("attempts" not in t for t in page["data"])
    first = api(stack, "/traces?limit=1", token).json()
    assert first["has_more"] is True and first["data"][0]["id"] == ids["streamed"]
    second = api(stack, "/traces?limit=1&offset=1", token).json()
    assert second["data"][0]["id"] == ids["plain"] and second["has_more"] is False

    trace = api(stack, f"/traces/{ids['streamed']}", token, prefix="/v1").json()
    assert trace["object"] == "trace" and trace["streamed"] is True
    assert trace["model"] == "gpt-4o" and trace["provider"] == "openai"
    assert trace["usage"]["prompt_tokens"] > 0 and trace["usage"]["completion_tokens"] > 0
    assert trace["cost_usd"] > 0 and trace["ttft_ms"] is not None
    assert [(a["provider"], a["outcome"]) for a in trace["attempts"]] == [("openai", "success")]
    assert trace["fallback_chain"] == ["openai:gpt-4o"]


def test_trace_filters(stack: Stack, traffic: dict[str, Any]) -> None:
    cred = traffic["one"].credential
    ids = traffic["ids"]

    def found(query: str) -> set[str]:
        r = api(stack, f"/traces?{query}", cred)
        assert r.status_code == 200, r.text
        return {t["id"] for t in r.json()["data"]}

    assert found("agent=agent-b") == {ids["missing"], ids["other_agent"]}
    assert found("status=error") == {ids["missing"]}
    assert found("status=404") == {ids["missing"]}
    assert found("status=success&agent=agent-b") == {ids["other_agent"]}
    assert found("model=spideriq/fast") == {ids["other_agent"]}
    assert found("model=gpt-4o") == {ids["plain"], ids["streamed"]}
    assert found("from=2000-01-01&to=2000-01-02") == set()


def test_another_brand_sees_nothing(stack: Stack, traffic: dict[str, Any]) -> None:
    two = traffic["two"]
    ids = traffic["ids"]
    for token in (two.agent_a, two.credential):
        theirs = api(stack, f"/traces/{ids['plain']}", token)
        nothing = api(stack, "/traces/no-such-trace-id", token)
        assert theirs.status_code == nothing.status_code == 404
        assert theirs.json() == nothing.json()
        assert theirs.json()["error"]["code"] == "not_found"
        for query in ("", "?agent=agent-a", "?model=gpt-4o", "?status=error", "?limit=500"):
            listed = api(stack, f"/traces{query}", token).json()["data"]
            assert {t["id"] for t in listed} <= {ids["stranger"]}
        usage = api(stack, "/usage", token).json()
        assert usage["totals"]["requests"] == 1
    # One agent of a brand does not see the other's trace either.
    sibling = api(stack, f"/traces/{ids['missing']}", traffic["one"].agent_a)
    assert sibling.status_code == 404


def test_the_usage_scope_is_required(stack: Stack, traffic: dict[str, Any]) -> None:
    one = traffic["one"]
    _, chat_only = stack.core.identity.mint_token(one.client_id, "chat-only", ["gate:chat"])
    for path in ("/usage", "/traces", f"/traces/{traffic['ids']['plain']}"):
        r = api(stack, path, str(chat_only))
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "insufficient_scope"
        r = api(stack, path, None)
        assert (r.status_code, r.json()["error"]["code"]) == (401, "missing_api_key")


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/usage?from=yesterday", "from"),
        ("/usage?to=2026-13-01", "to"),
        ("/usage?from=2026-11-02&to=2026-11-01", "from"),
        ("/usage?bucket=week", "bucket"),
        ("/traces?limit=0", "limit"),
        ("/traces?limit=501", "limit"),
        ("/traces?limit=ten", "limit"),
        ("/traces?offset=-1", "offset"),
        ("/traces?status=teapot", "status"),
        ("/traces?status=99", "status"),
        ("/traces?from=-5", "from"),
    ],
)
def test_bad_parameters_are_400(
    stack: Stack, traffic: dict[str, Any], path: str, param: str
) -> None:
    r = api(stack, path, traffic["one"].credential)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_request", param)


def test_times_as_unix_seconds_and_iso(stack: Stack, traffic: dict[str, Any]) -> None:
    token = traffic["one"].agent_a
    plain = api(stack, f"/traces/{traffic['ids']['plain']}", token).json()
    at = plain["created"]
    around = api(stack, f"/usage?from={at - 60}&to={at + 60}", token).json()
    assert around["totals"]["requests"] == 2
    later = api(stack, f"/usage?from={at + 3600}&to={at + 7200}", token).json()
    assert later["totals"]["requests"] == 0 and later["by_bucket"] == []
    # A start after the default end (now) is an empty window the wrong way round.
    assert api(stack, f"/usage?from={at + 3600}", token).status_code == 400
    iso = api(stack, "/usage?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z", token).json()
    assert (iso["from"], iso["to"]) == ("2000-01-01T00:00:00.000Z", "2000-01-02T00:00:00.000Z")


def test_grpc_clients_get_the_same_answers(stack: Stack, traffic: dict[str, Any]) -> None:
    one, two = traffic["one"], traffic["two"]
    with grpc.insecure_channel(stack.grpc_target) as channel:
        stub = usage_pb2_grpc.UsageServiceStub(channel)
        md = (("authorization", f"Bearer {one.agent_a}"),)
        report = stub.GetUsage(usage_pb2.GetUsageRequest(), metadata=md, timeout=10)
        assert report.totals.requests == 2
        page = stub.ListTraces(usage_pb2.ListTracesRequest(limit=1), metadata=md, timeout=10)
        assert len(page.traces) == 1 and page.has_more
        got = stub.GetTrace(
            usage_pb2.GetTraceRequest(trace_id=traffic["ids"]["plain"]), metadata=md, timeout=10
        )
        assert len(got.trace.attempts) == 1
        stranger = (("authorization", f"Bearer {two.credential}"),)
        with pytest.raises(grpc.RpcError) as info:
            stub.GetTrace(
                usage_pb2.GetTraceRequest(trace_id=traffic["ids"]["plain"]),
                metadata=stranger,
                timeout=10,
            )
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as info:
            stub.ListTraces(usage_pb2.ListTracesRequest(limit=501), metadata=md, timeout=10)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def _one_of_each_kind(stack: Stack, token: str) -> dict[str, str]:
    """One request of every kind through the gateway, with the official SDK: the id of
    each (its ``X-Request-Id``)."""
    client = OpenAI(base_url=stack.base_url, api_key=token)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:  # 1.5 s of 16 kHz mono silence
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(b"\0\0" * 24_000)
    raw = client.with_raw_response
    calls: dict[str, Callable[[], Any]] = {
        "chat": lambda: raw.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        ),
        "embedding": lambda: raw.embeddings.create(model="agent/embed", input=["a", "b c"]),
        "image": lambda: raw.images.generate(model="dall-e-2", prompt="a cat", n=2),
        "speech": lambda: raw.audio.speech.create(model="tts-1", voice="alloy", input=SPOKEN),
        "transcription": lambda: raw.audio.transcriptions.create(
            model="whisper-1", file=("a.wav", buffer.getvalue(), "audio/wav")
        ),
        "moderation": lambda: raw.moderations.create(input="hello"),
    }
    return {kind: call().headers["x-request-id"] for kind, call in calls.items()}


SPOKEN = "Billed by the character."


def test_usage_and_traces_by_kind(stack: Stack) -> None:
    """A request of every kind through the gateway: ``by_kind`` over REST and gRPC with
    each kind's cost at its catalog unit (tokens, images, characters, audio seconds), the
    ``kind`` filter of both routes, the kind of each trace, and a 400 naming ``kind`` for
    one that does not exist."""
    brand = Brand(stack)
    _, token = stack.core.identity.mint_token(brand.client_id, "agent-k", None)
    ids = _one_of_each_kind(stack, str(token))
    flush(stack)

    body = api(stack, "/usage", brand.credential).json()
    kinds = {g["kind"]: g for g in body["by_kind"]}
    assert set(kinds) == set(ids) and body["totals"]["requests"] == 6
    assert all(g["requests"] == 1 and g["errors"] == 0 for g in kinds.values())
    embedding = kinds["embedding"]
    assert embedding["prompt_tokens"] > 0
    assert embedding["cost_usd"] == pytest.approx(embedding["prompt_tokens"] * 0.02 / 1e6)
    assert kinds["image"]["cost_usd"] == pytest.approx(2 * 0.02)  # dall-e-2, per image
    assert kinds["speech"]["cost_usd"] == pytest.approx(len(SPOKEN) * 0.000015)
    # whisper-1 reports whole seconds (usage.seconds, rounded up): that is what is billed.
    assert kinds["transcription"]["cost_usd"] == pytest.approx(2 * 0.0001)
    assert kinds["moderation"]["cost_usd"] == 0.0
    assert kinds["chat"]["cost_usd"] > 0
    assert body["totals"]["cost_usd"] == pytest.approx(sum(g["cost_usd"] for g in kinds.values()))

    only = api(stack, "/usage?kind=embedding", str(token)).json()
    assert only["totals"] == {k: v for k, v in embedding.items() if k != "kind"}
    assert [g["kind"] for g in only["by_kind"]] == ["embedding"]

    listed = api(stack, "/traces?kind=speech", brand.credential).json()["data"]
    assert [(t["id"], t["kind"]) for t in listed] == [(ids["speech"], "speech")]
    every = api(stack, "/traces", brand.credential).json()["data"]
    assert sorted(t["kind"] for t in every) == sorted(ids)
    one = api(stack, f"/traces/{ids['image']}", str(token)).json()
    assert (one["kind"], one["status"], one["model"]) == ("image", 200, "dall-e-2")

    for path in ("/usage?kind=video", "/traces?kind=chats", "/usage?kind="):
        r = api(stack, path, brand.credential)
        assert r.status_code == 400, r.text
        assert (r.json()["error"]["code"], r.json()["error"]["param"]) == (
            "invalid_request",
            "kind",
        )

    with grpc.insecure_channel(stack.grpc_target) as channel:
        stub = usage_pb2_grpc.UsageServiceStub(channel)
        md = (("authorization", f"Bearer {brand.credential}"),)
        report = stub.GetUsage(usage_pb2.GetUsageRequest(), metadata=md, timeout=10)
        assert {g.key: g.metrics.requests for g in report.by_kind} == dict.fromkeys(ids, 1)
        page = stub.ListTraces(usage_pb2.ListTracesRequest(kind="image"), metadata=md, timeout=10)
        assert [(t.id, t.kind) for t in page.traces] == [(ids["image"], "image")]
        with pytest.raises(grpc.RpcError) as info:
            stub.GetUsage(usage_pb2.GetUsageRequest(kind="video"), metadata=md, timeout=10)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_cache_hits_and_fallbacks_are_counted(stack: Stack) -> None:
    """A response-cache hit and a fallback are counted in ``/usage``'s totals and
    breakdowns, whether the window's hours come from the rollups or from the rows (a
    window ending now cuts the current hour), and over gRPC."""
    brand = Brand(stack)
    cached = {
        "messages": [{"role": "user", "content": f"cache me, {brand.client_id}"}],
        "spidergate_options": {"cache_enabled": True},
    }
    assert chat(stack, brand.agent_a, **cached).json()["spidergate_metadata"]["cache_hit"] is False
    assert chat(stack, brand.agent_a, **cached).json()["spidergate_metadata"]["cache_hit"] is True
    httpx.post(
        stack.mock.url + "/__mock/faults",
        json={
            "kind": "error",
            "status": 500,
            "times": 1,
            "match": {"model": "llama-3.1-8b-instant"},
        },
    ).raise_for_status()
    fell = chat(stack, brand.agent_b, model="spideriq/fast")
    assert fell.status_code == 200 and fell.headers["x-spidergate-fallback-from"]
    flush(stack)

    start = datetime.now(UTC) - timedelta(minutes=90)
    for path in ("/usage", "/usage?bucket=hour", f"/usage?from={start:%Y-%m-%dT%H:%M:%SZ}"):
        body = api(stack, path, brand.credential).json()
        totals = body["totals"]
        assert (totals["requests"], totals["cache_hits"], totals["fallbacks"]) == (3, 1, 1), path
        assert totals["cache_hit_rate"] == pytest.approx(1 / 3, abs=1e-6)
        agents = {g["agent"]: (g["cache_hits"], g["fallbacks"]) for g in body["by_agent"]}
        assert agents == {"agent-a": (1, 0), "agent-b": (0, 1)}, path
        assert sum(b["fallbacks"] for b in body["by_bucket"]) == 1

    with grpc.insecure_channel(stack.grpc_target) as channel:
        reply = usage_pb2_grpc.UsageServiceStub(channel).GetUsage(
            usage_pb2.GetUsageRequest(), metadata=(("authorization", f"Bearer {brand.credential}"),)
        )
    assert (reply.totals.cache_hits, reply.totals.fallbacks) == (1, 1)
    assert reply.totals.cache_hit_rate == pytest.approx(1 / 3, abs=1e-6)

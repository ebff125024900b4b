"""The core's metrics: request counters from ledger entries, key health and ledger
collectors read at scrape time, the text rendering and the core's own metrics port."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from gate_service.ledger import NullLedger, RequestRecord
from gate_service.metrics import Metrics, MetricsServer, create_metrics, render
from gate_service.providers.base import FailureKind, UpstreamFailure
from gate_service.routing.health import HealthBook
from gate_service.routing.keys import UsableKey
from gate_service.routing.outcome import Attempt


def entry(**kw: Any) -> RequestRecord:
    values: dict[str, Any] = {
        "id": "r",
        "client_id": "cli_x",
        "token_id": None,
        "agent_name": None,
        "requested_model": "spideriq/fast",
        "alias": "spideriq/fast",
        "kind": "chat",
        "served_model": "llama-3.1-8b-instant",
        "provider": "groq",
        "key_id": "k",
        "key_preview": "k…",
        "status": 200,
        "error_code": None,
        "latency_ms": 12.0,
        "ttft_ms": None,
        "prompt_tokens": 10,
        "completion_tokens": 4,
        "cached_tokens": 0,
        "reasoning_tokens": 0,
        "cost_usd": 0.25,
        "streamed": False,
        "cache_hit": False,
        "fallback_chain": (),
        "attempts": (),
        "created_at": datetime.now(UTC),
    }
    values.update(kw)
    return RequestRecord(**values)


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_a_request_moves_every_counter() -> None:
    m = Metrics()
    attempts = [
        Attempt("groq", "llama", "k1", "error", 503, 250.0, "server"),
        Attempt("cerebras", "llama", "", "skipped", 0, 0.0, "cooldown"),
        Attempt("together", "llama", "k2", "success", 200, 40.0),
    ]
    m.observe_request(entry(attempts=attempts))
    m.observe_request(entry())
    r = m.registry
    labels = {"model": "llama-3.1-8b-instant"}
    chat = {"provider": "groq", "code": "200", "request_kind": "chat", **labels}
    assert value(r, "spidergate_requests_total", **chat) == 2
    assert value(r, "spidergate_tokens_total", kind="prompt", **labels) == 20
    assert value(r, "spidergate_tokens_total", kind="completion", **labels) == 8
    assert value(r, "spidergate_cost_usd_total", **labels) == 0.5
    name = "spidergate_upstream_attempt_duration_seconds_count"
    assert value(r, name, provider="groq", outcome="error") == 1
    assert value(r, name, provider="together", outcome="success") == 1
    assert value(r, name, provider="cerebras", outcome="skipped") is None
    assert (
        value(
            r, "spidergate_upstream_attempt_duration_seconds_sum", provider="groq", outcome="error"
        )
        == 0.25
    )


def test_rejections_and_unserved_requests() -> None:
    m = Metrics()
    for code in ("rate_limit_exceeded", "rate_limit_exceeded", "budget_exceeded"):
        m.observe_request(
            entry(status=429, error_code=code, served_model=None, provider=None, cost_usd=0.0)
        )
    m.observe_request(
        entry(status=404, error_code="model_not_found", served_model=None, provider=None)
    )
    m.observe_request(entry(cache_hit=True, cost_usd=0.0))
    r = m.registry
    assert value(r, "spidergate_limit_rejections_total", code="rate_limit_exceeded") == 2
    assert value(r, "spidergate_limit_rejections_total", code="budget_exceeded") == 1
    assert value(r, "spidergate_limit_rejections_total", code="model_not_allowed") == 0
    unserved = {"model": "none", "provider": "none", "request_kind": "chat"}
    assert value(r, "spidergate_requests_total", code="429", **unserved) == 3
    assert value(r, "spidergate_requests_total", code="404", **unserved) == 1
    assert value(r, "spidergate_cache_hits_total") == 1


def _key(key_id: str, provider: str, client_id: str | None = None) -> UsableKey:
    return UsableKey(key_id, provider, client_id, "p…", None, "vault")


def test_requests_are_counted_by_kind() -> None:
    m = Metrics()
    m.observe_request(entry())
    for _ in range(2):
        m.observe_request(entry(kind="embedding", served_model="text-embedding-3-small"))
    m.observe_request(entry(kind="image", status=503, served_model=None, provider=None))
    r, served = m.registry, {"provider": "groq", "code": "200"}
    name = "spidergate_requests_total"
    assert value(r, name, model="llama-3.1-8b-instant", request_kind="chat", **served) == 1
    assert value(r, name, model="text-embedding-3-small", request_kind="embedding", **served) == 2
    unserved = {"model": "none", "provider": "none", "code": "503"}
    assert value(r, name, request_kind="image", **unserved) == 1
    assert value(r, name, request_kind="chat", **unserved) is None


def test_key_health_is_read_at_scrape_time() -> None:
    book = HealthBook()
    keys = [
        _key("a", "groq"),
        _key("b", "groq"),
        _key("c", "openai", "cli_x"),
        _key("c", "openai"),  # a shared brand key: one key, one health record
    ]
    m = create_metrics(keys=lambda: keys, health=book, ledger=NullLedger())
    r = m.registry
    assert value(r, "spidergate_provider_keys", provider="groq", state="healthy") == 2
    assert value(r, "spidergate_provider_keys", provider="openai", state="healthy") == 1
    book.failed("a", UpstreamFailure(FailureKind.AUTH, 401, "bad key"), "groq", "m")
    book.failed("b", UpstreamFailure(FailureKind.RATE_LIMITED, 429, "slow down"), "groq", "m")
    assert value(r, "spidergate_provider_keys", provider="groq", state="healthy") == 0
    assert value(r, "spidergate_provider_keys", provider="groq", state="invalid") == 1
    assert value(r, "spidergate_provider_keys", provider="groq", state="cooldown") == 1
    assert "c" not in book.states()  # scraping reads, never creates, health records


class _Backlog:
    queue_depth = 7
    dropped = 3


def test_ledger_backlog_and_drops() -> None:
    m = create_metrics(keys=list, health=HealthBook(), ledger=_Backlog())  # type: ignore[arg-type]
    assert value(m.registry, "spidergate_ledger_queue_depth") == 7
    assert value(m.registry, "spidergate_ledger_dropped_total") == 3


async def test_the_core_metrics_port() -> None:
    m = Metrics()
    m.observe_request(entry())
    server = MetricsServer(m.registry)
    port = await server.start("127.0.0.1", 0)
    try:
        async with httpx.AsyncClient() as client:
            r = await client.get(f"http://127.0.0.1:{port}/metrics")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        assert 'spidergate_requests_total{code="200"' in r.text
    finally:
        await server.close()


def test_render_joins_registries() -> None:
    a, b = Metrics(), Metrics(CollectorRegistry())
    text = render(
        a.registry, create_metrics(keys=list, health=HealthBook(), ledger=NullLedger()).registry
    ).decode()
    assert "spidergate_ledger_queue_depth" in text and "spidergate_requests_total" in text
    assert b.registry is not a.registry  # no global registry anywhere


def test_recording_is_cheap() -> None:
    """The budget is a few microseconds per request; a loose bound keeps CI honest."""
    m = Metrics()
    e = entry(attempts=(Attempt("groq", "llama", "k", "success", 200, 40.0),))
    m.observe_request(e)
    n = 20_000
    started = time.perf_counter()
    for _ in range(n):
        m.observe_request(e)
    per_call_us = (time.perf_counter() - started) / n * 1e6
    assert per_call_us < 50, per_call_us

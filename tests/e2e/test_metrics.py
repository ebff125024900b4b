"""``/metrics`` over the real stack: the Prometheus text format at the root path, with the
bridge's counters moving as requests are answered (by route template and status), and a
bridge in the core's process rendering the core's registry in the same answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from bridge.app import create_app
from tests.stack import Stack


def scrape(stack: Stack) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    r = httpx.get(f"http://127.0.0.1:{stack.http_port}/metrics", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def sample(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_bridge_counters_move(stack: Stack, token: str) -> None:
    before = scrape(stack)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"model": "spideriq/fast", "messages": [{"role": "user", "content": "hi"}]}
    for _ in range(3):
        r = httpx.post(stack.base_url + "/chat/completions", json=body, headers=headers)
        assert r.status_code == 200
    missing = httpx.post(
        stack.base_url + "/chat/completions", json={**body, "model": "nope"}, headers=headers
    )
    assert missing.status_code == 404
    httpx.get(f"http://127.0.0.1:{stack.http_port}/v1/models/openai/gpt-4o")
    httpx.get(f"http://127.0.0.1:{stack.http_port}/v1/no/such/route")
    after = scrape(stack)

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    chat = {"route": "/chat/completions", "method": "POST"}
    assert moved("spidergate_http_requests_total", code="200", **chat) == 3
    assert moved("spidergate_http_requests_total", code="404", **chat) == 1
    # Route templates, not raw paths: label values stay bounded.
    assert (
        moved(
            "spidergate_http_requests_total",
            route="/models/{model_id:anypath}",
            method="GET",
            code="200",
        )
        == 1
    )
    assert moved("spidergate_http_requests_total", route="unmatched", method="GET", code="404") == 1
    assert moved("spidergate_http_request_duration_seconds_count", route="/chat/completions") == 4
    assert moved("spidergate_http_request_duration_seconds_sum", route="/chat/completions") > 0


def test_metrics_live_at_the_root_only(stack: Stack) -> None:
    for prefix in ("/api/gate/v1", "/v1"):
        r = httpx.get(f"http://127.0.0.1:{stack.http_port}{prefix}/metrics")
        assert r.status_code == 404


class _LocalClient:
    """What the in-process client offers the bridge: stubs (unused here) and the core's
    registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    async def close(self) -> None:
        return None


@pytest.fixture
def in_process() -> Iterator[tuple[TestClient, Counter]]:
    registry = CollectorRegistry()
    core_counter = Counter("spidergate_core_probe", "A core-side metric.", registry=registry)
    app = create_app(client_factory=lambda: _LocalClient(registry))
    with TestClient(app) as client:
        yield client, core_counter


def test_one_scrape_shows_bridge_and_core(in_process: tuple[TestClient, Counter]) -> None:
    client, core_counter = in_process
    core_counter.inc(5)
    text = client.get("/metrics").text
    assert "spidergate_core_probe_total 5.0" in text
    assert "spidergate_http_requests_total" in text


def test_core_metrics_of_the_chat_path(stack: Stack, token: str) -> None:
    metrics = stack.core.metrics
    before = (
        metrics.registry.get_sample_value(
            "spidergate_tokens_total", {"model": "gpt-4o", "kind": "completion"}
        )
        or 0.0
    )
    r = httpx.post(
        stack.base_url + "/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200
    after = metrics.registry.get_sample_value(
        "spidergate_tokens_total", {"model": "gpt-4o", "kind": "completion"}
    )
    assert after is not None and after > before
    assert metrics.registry.get_sample_value("spidergate_ledger_queue_depth") is not None
    assert metrics.registry.get_sample_value(
        "spidergate_provider_keys", {"provider": "openai", "state": "healthy"}
    )

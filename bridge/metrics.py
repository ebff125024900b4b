"""The bridge's HTTP metrics and its ``/metrics`` route.

Every request is counted by route template (``/models/{model_id:anypath}``, never the raw
path, so label values stay bounded), method and status, and timed until its last byte
was handed to the server (a stream: until it ended). The hook is a plain ASGI middleware
rather than Starlette's ``BaseHTTPMiddleware``, which runs each request through an extra
task and memory streams; this one only wraps ``send`` and reads the route Starlette's
router left in the scope: about 2.5 µs per request, measured against the bare app.

``/metrics`` renders this registry, plus the core's when the core runs in this process
(the in-process client carries its registry), so one scrape sees both.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gate_service.metrics import CONTENT_TYPE, render

UNMATCHED = "unmatched"
# From a cached answer to a long stream.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class HttpMetrics:
    """Request count and latency of the bridge, on an explicit registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._requests = Counter(
            "spidergate_http_requests",
            "HTTP requests answered by the bridge, by route, method and status.",
            ["route", "method", "code"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "spidergate_http_request_duration_seconds",
            "Time from a request's arrival to its last byte sent, by route.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._counts: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[str, Any] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        count = self._counts.get((route, method, status))
        if count is None:
            count = self._counts[route, method, status] = self._requests.labels(
                route, method, str(status)
            )
        count.inc()
        timer = self._timers.get(route)
        if timer is None:
            timer = self._timers[route] = self._latency.labels(route)
        timer.observe(seconds)


# Set by an app mounted beside the API (the console) so that its routes are labelled
# apart: the console's ``/traces`` page is not the API's ``/traces``.
ROUTE_PREFIX = "spidergate.route_prefix"


def route_of(scope: Scope) -> str:
    """The path template of the route that handled the request (the API's prefix dropped;
    a mounted app's own label prefix kept)."""
    route = scope.get("route")
    if not isinstance(route, Route):
        return UNMATCHED
    return scope.get(ROUTE_PREFIX, "") + route.path


class MetricsMiddleware:
    """Raw ASGI: times and counts each HTTP request into :class:`HttpMetrics`."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app fails before it answers, the server sends a 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.metrics.observe(
                route_of(scope), scope["method"], status, time.perf_counter() - started
            )


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: the Prometheus text format."""
    registries = [request.app.state.http_metrics.registry]
    core_registry = getattr(request.app.state.core, "registry", None)
    if core_registry is not None:
        registries.append(core_registry)
    return Response(render(*registries), media_type=CONTENT_TYPE)

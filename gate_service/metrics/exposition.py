"""Rendering metrics in the Prometheus text format, and the core's own metrics endpoint.

The bridge serves ``/metrics`` itself; when the core and the bridge share a process it
renders both registries in one answer. A core running alone (``serve core``) has no HTTP
server, so :class:`MetricsServer` gives it one on its own port, on the event loop (the
collectors then read routing state from the thread that owns it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

# The classic text format: what every Prometheus version scrapes.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


class _Union(Collector):
    """Several registries rendered as one (their metric names do not overlap)."""

    def __init__(self, collectors: Iterable[Collector]) -> None:
        self._collectors = tuple(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self._collectors:
            yield from collector.collect()


def render(*collectors: Collector) -> bytes:
    """The text exposition of every metric of ``collectors`` (registries, usually)."""
    return generate_latest(_Union(collectors))


class MetricsServer:
    """``GET /metrics`` on its own port; ``start`` binds (port 0: any free port)."""

    def __init__(self, *collectors: Collector) -> None:
        self._collectors = collectors
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=render(*self._collectors), headers={"Content-Type": CONTENT_TYPE})

    async def start(self, host: str, port: int) -> int:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server  # aiohttp exposes the bound port only here
        sockets = getattr(server, "sockets", None) or ()
        self.port = sockets[0].getsockname()[1] if sockets else port
        return self.port

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

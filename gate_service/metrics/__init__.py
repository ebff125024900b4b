"""Prometheus metrics: built by a factory on an explicit registry, nothing at import.

- :class:`Metrics`: counted on the chat path (``observe_request`` once per request).
- Collectors read at scrape time: provider key health, the ledger's backlog and drops.
- :func:`render` and :class:`MetricsServer`: the text format, and the core's own port.

The bridge's HTTP metrics (route, status, latency) live in ``bridge/metrics.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry

from gate_service.ledger.entry import Ledger
from gate_service.metrics.collectors import KeyHealthCollector, LedgerCollector
from gate_service.metrics.exposition import CONTENT_TYPE, MetricsServer, render
from gate_service.metrics.requests import LIMIT_CODES, Metrics
from gate_service.routing.health import HealthBook
from gate_service.routing.keys import UsableKey

__all__ = [
    "CONTENT_TYPE",
    "LIMIT_CODES",
    "KeyHealthCollector",
    "LedgerCollector",
    "Metrics",
    "MetricsServer",
    "create_metrics",
    "render",
]


def create_metrics(
    *,
    keys: Callable[[], Iterable[UsableKey]],
    health: HealthBook,
    ledger: Ledger,
    registry: CollectorRegistry | None = None,
) -> Metrics:
    """The core's metrics: request counters plus key-health and ledger collectors.

    ``keys`` returns every usable key of the routing snapshot (read at scrape time).
    """
    metrics = Metrics(registry)
    metrics.registry.register(KeyHealthCollector(keys, health))
    metrics.registry.register(LedgerCollector(ledger))
    return metrics

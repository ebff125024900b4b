"""Metrics read at scrape time rather than counted: key health and the ledger's backlog.

Both describe state that already lives elsewhere (the routing snapshot and health book,
the ledger writer), so copying it into gauges on every change would cost the request path
for nothing; a collector reads it when Prometheus asks. Collectors run on whichever thread
renders the scrape; they only read.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gate_service.ledger.entry import Ledger
from gate_service.routing.health import HealthBook
from gate_service.routing.keys import UsableKey

KEY_STATES = ("healthy", "degraded", "unhealthy", "cooldown", "invalid")


class KeyHealthCollector(Collector):
    """``spidergate_provider_keys{provider, state}``: how many usable keys each provider
    has in each health state (every state listed, zeros included, so an alert on
    ``healthy == 0`` fires). A key appearing twice (a brand key shared into the pool) has
    one health record and is counted once."""

    def __init__(self, keys: Callable[[], Iterable[UsableKey]], health: HealthBook) -> None:
        self._keys = keys
        self._health = health

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "spidergate_provider_keys",
            "Usable provider keys by provider and health state.",
            labels=["provider", "state"],
        )
        states = self._health.states()
        now = self._health.clock()
        unique = {key.id: key for key in self._keys()}
        tally: Tally[tuple[str, str]] = Tally()
        providers = set()
        for key in unique.values():
            record = states.get(key.id)
            tally[key.provider, record.state(now) if record else "healthy"] += 1
            providers.add(key.provider)
        for provider in sorted(providers):
            for state in KEY_STATES:
                family.add_metric([provider, state], tally[provider, state])
        yield family


class LedgerCollector(Collector):
    """``spidergate_ledger_queue_depth``, ``spidergate_ledger_dropped_total`` and
    ``spidergate_ledger_journal_bytes``."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "spidergate_ledger_queue_depth",
            "Ledger entries recorded (journaled) but not yet written to the database.",
            value=self._ledger.queue_depth,
        )
        journal_bytes = getattr(self._ledger, "journal_bytes", None)
        if journal_bytes is not None:
            yield GaugeMetricFamily(
                "spidergate_ledger_journal_bytes",
                "Bytes of this process's ledger journal on disk (grows while the database "
                "is slow or down: entries wait there, they are never dropped).",
                value=journal_bytes,
            )
        yield CounterMetricFamily(
            "spidergate_ledger_dropped",
            "Ledger entries given up on (refused by the database, or damaged on disk).",
            value=self._ledger.dropped,
        )

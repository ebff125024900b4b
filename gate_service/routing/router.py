"""Routing's parts, built once per process and shared by every kind of call: the planner
(which candidates may serve a request), the key health book, and the runner (the one
failover loop over them).

What an attempt does (chat today: :mod:`gate_service.chat.attempts`) and how the answer
is shaped (:mod:`gate_service.chat.answer`) live with the service that asks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from gate_service.catalog.snapshot import Catalog
from gate_service.client_aliases.book import ClientAliasBook
from gate_service.providers.base import WireAdapter
from gate_service.routing.health import HealthBook
from gate_service.routing.keys import KeyPool
from gate_service.routing.keystates import KeyStates
from gate_service.routing.planning import Planner
from gate_service.routing.runner import Runner


class Router:
    """The planner, the health book and the runner over one catalog and key pool."""

    def __init__(
        self,
        catalog: Callable[[], Catalog],
        keys: KeyPool,
        adapters: Mapping[str, WireAdapter],
        *,
        health: HealthBook | None = None,
        clock: Callable[[], float] = time.perf_counter,
        client_aliases: ClientAliasBook | None = None,
        states: KeyStates | None = None,
    ) -> None:
        # With ``states``, its book: the shared store's mirror (routing/keystates.py).
        self.health = states.book if states is not None else health or HealthBook()
        self.states = states or KeyStates(self.health)
        self.planner = Planner(catalog, keys, adapters, client_aliases)
        self.runner = Runner(self.health, keys.redact, adapters, clock=clock, states=self.states)

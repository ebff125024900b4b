"""Per-agent governance: request limits and budgets, enforced before any provider call.

A token's requests per minute and per day (sliding windows) and the monthly budgets of the
token and of its brand (reset on the brand's billing anchor day, UTC) are checked and
recorded in one atomic step per request, reserving the request's worst-case cost, which
is settled to the real cost when the request ends (auth-and-controls.md). The limits hold
exactly: within one process with the in-memory store, across replicas with Redis.

- :mod:`.admission`: ``Admission``, the ``Governor`` protocol, ``NullGovernor``;
- :mod:`.governor`: ``CountingGovernor`` (and the policy when the store is down);
- :mod:`.store`: the store interface; :mod:`.memory` and :mod:`.redis_store` implement it;
- :mod:`.ledger`: seeding counters from ``request_log``; :mod:`.periods`: billing periods;
- :mod:`.answers`: headers and errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gate_service.governance.admission import Admission, Governor, NullGovernor
from gate_service.governance.governor import CountingGovernor
from gate_service.governance.ledger import LedgerSpend
from gate_service.governance.memory import MemoryCounterStore
from gate_service.governance.redis_store import DEFAULT_PREFIX, RedisCounterStore

if TYPE_CHECKING:
    from gate_service.config import Settings
    from gate_service.storage.database import Database

__all__ = [
    "Admission",
    "CountingGovernor",
    "Governor",
    "NullGovernor",
    "create_governor",
]


def create_governor(
    settings: Settings, db: Database, *, key_prefix: str = DEFAULT_PREFIX
) -> CountingGovernor:
    """The governor for this process: counters in Redis when ``settings.redis_url`` is
    set (exact across replicas), else in memory (exact within this process). Spend is
    seeded from the database's ledger. Nothing connects here."""
    if settings.redis_url:
        store = RedisCounterStore.from_url(settings.redis_url, prefix=key_prefix)
        return CountingGovernor(store, LedgerSpend(db), store_name="Redis counter store")
    return CountingGovernor(MemoryCounterStore(), LedgerSpend(db), store_name="counter store")

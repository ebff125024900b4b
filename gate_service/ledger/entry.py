"""What the chat service hands the ledger for every request, and the ledger's interface.

One ``LedgerEntry`` per request, whatever its outcome (served, failed, rejected by a
limit, answered from the cache, streamed or cut short): usage, spend and traces are all
read back from these rows, so a request without an entry is a request nobody pays for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gate_service.routing.router import Attempt


@dataclass(slots=True)
class LedgerEntry:
    """One request as the ledger stores it (``request_log`` plus its ``attempt_log`` rows)."""

    request_id: str
    client_id: str
    token_id: str | None
    agent_name: str | None
    requested_model: str
    alias: str | None
    served_model: str | None
    provider: str | None
    key_id: str | None
    key_preview: str | None
    status: int
    error_code: str | None
    latency_ms: float
    ttft_ms: float | None
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    cost_usd: float
    streamed: bool
    cache_hit: bool
    # "provider:model" of every attempt, in order.
    fallback_chain: list[str]
    attempts: list[Attempt]
    created_at: datetime


class Ledger(Protocol):
    """Storage of ``LedgerEntry`` rows, written behind the request path.

    ``record`` is called on the request path, on the event loop, before the answer is sent:
    it makes the entry durable (see ``gate_service/ledger/journal.py``), never blocks on the
    database and never raises. ``close`` writes everything pending.
    """

    def record(self, entry: LedgerEntry) -> None: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    @property
    def queue_depth(self) -> int:
        """Entries recorded but not yet written."""
        ...

    @property
    def dropped(self) -> int:
        """Entries given up on since start (refused by the database, damaged on disk)."""
        ...


class NullLedger:
    """Records nothing: for tools and tests that run a core without a ledger."""

    def record(self, entry: LedgerEntry) -> None:
        return None

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    @property
    def queue_depth(self) -> int:
        return 0

    @property
    def dropped(self) -> int:
        return 0

"""The ledger's interface: what the chat service hands a :class:`RequestRecord` to, once
per request (:mod:`.record` holds the record itself).
"""

from __future__ import annotations

from typing import Protocol

from gate_service.ledger.record import RequestRecord


class Ledger(Protocol):
    """Storage of request records, written behind the request path.

    ``record`` is called on the request path, on the event loop, before the answer is sent:
    it makes the record durable (see ``gate_service/ledger/journal.py``), never blocks on the
    database and never raises. ``close`` writes everything pending.
    """

    def record(self, entry: RequestRecord) -> None: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    @property
    def queue_depth(self) -> int:
        """Records taken but not yet written."""
        ...

    @property
    def dropped(self) -> int:
        """Records given up on since start (refused by the database, damaged on disk)."""
        ...


class NullLedger:
    """Records nothing: for tools and tests that run a core without a ledger."""

    def record(self, entry: RequestRecord) -> None:
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

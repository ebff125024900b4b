"""What the ledger says was spent: the seed of a budget counter.

Counters live in memory or in Redis and would start from zero after a restart (or a
Redis flush). The ledger (``request_log``, one row per request, written behind in
batches) is the durable record, so the governor raises each counter to the ledger's sum
the first time it uses it, and again now and then (``max``, never down: the ledger lags
the counters by its write-behind delay). Synchronous: the governor calls it in a thread.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import func
from sqlmodel import col, select

from gate_service.storage.database import Database
from gate_service.storage.models import RequestLog


class SpendSource(Protocol):
    """Spend recorded for a brand, or one of its tokens, in ``[since, until)``."""

    def spent_usd(
        self, client_id: str, token_id: str | None, since: datetime, until: datetime
    ) -> float: ...


class LedgerSpend:
    """:class:`SpendSource` over the ``request_log`` table (indexed by client and token
    with the creation time, so this is one index range scan)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def spent_usd(
        self, client_id: str, token_id: str | None, since: datetime, until: datetime
    ) -> float:
        query = select(func.coalesce(func.sum(RequestLog.cost_usd), 0.0)).where(
            RequestLog.client_id == client_id,
            col(RequestLog.created_at) >= since,
            col(RequestLog.created_at) < until,
        )
        if token_id is not None:
            query = query.where(RequestLog.token_id == token_id)
        with self._db.session() as session:
            total = session.exec(query).one()
        return float(total or 0.0)

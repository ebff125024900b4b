"""Seeding from the ledger on SQLite and PostgreSQL: the sums, and a governor that
restarts (a new process) keeping the period's spend."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from gate_service.errors import GateError
from gate_service.governance import CountingGovernor
from gate_service.governance.ledger import LedgerSpend
from gate_service.governance.memory import MemoryCounterStore
from gate_service.storage.database import Database
from gate_service.storage.models import RequestLog
from tests.governance.conftest import Clock, principal

CID = "cli_aaaaaaaaaaaaaaaa"


def _log(db: Database, cost: float, when: datetime, token: str | None = "tok_1", cid=CID) -> None:
    row = RequestLog(
        id=uuid.uuid4().hex,
        client_id=cid,
        token_id=token,
        requested_model="gpt-4o",
        status=200,
        latency_ms=1.0,
        cost_usd=cost,
        created_at=when,
    )
    with db.session() as session:
        session.add(row)
        session.commit()


def test_sums_one_period_per_token_and_per_brand(db: Database) -> None:
    start, end = datetime(2026, 11, 15, tzinfo=UTC), datetime(2026, 12, 15, tzinfo=UTC)
    _log(db, 0.25, datetime(2026, 11, 14, 23, 59, 59, tzinfo=UTC))  # before
    _log(db, 0.5, start)  # the first instant counts
    _log(db, 1.0, datetime(2026, 12, 1, tzinfo=UTC))
    _log(db, 2.0, datetime(2026, 12, 2, tzinfo=UTC), token="tok_2")
    _log(db, 4.0, datetime(2026, 12, 3, tzinfo=UTC), token=None)  # a client credential
    _log(db, 8.0, datetime(2026, 12, 3, tzinfo=UTC), cid="cli_bbbbbbbbbbbbbbbb")
    _log(db, 16.0, end)  # the next period
    ledger = LedgerSpend(db)
    assert ledger.spent_usd(CID, "tok_1", start, end) == 1.5
    assert ledger.spent_usd(CID, "tok_2", start, end) == 2.0
    assert ledger.spent_usd(CID, None, start, end) == 7.5
    assert ledger.spent_usd(CID, "tok_nobody", start, end) == 0.0


async def test_a_restarted_governor_keeps_the_spend(db: Database) -> None:
    clock = Clock()
    _log(db, 0.75, datetime.fromtimestamp(clock.now, UTC))
    governor = CountingGovernor(MemoryCounterStore(clock), LedgerSpend(db), clock=clock)
    try:
        who = principal(budget=2.0, brand_budget=1.0)
        await governor.admit(who, 0.25)
        try:
            await governor.admit(who, 0.05)
        except GateError as error:
            assert "the brand's hard monthly budget is $1.00; $0.75 spent" in error.message
        else:
            raise AssertionError("the brand budget should have refused")
    finally:
        await governor.close()

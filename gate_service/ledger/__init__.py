"""The ledger: one row per request, written behind the request path; usage and traces are
read back from it.

The chat service calls ``record`` once per request; ``Core`` builds the ledger with
:func:`create_ledger`, starts it, and closes it (flushing) before the database goes away.
"""

from __future__ import annotations

from gate_service.config import Settings
from gate_service.ledger.entry import Ledger, LedgerEntry, NullLedger
from gate_service.ledger.store import LedgerStore
from gate_service.ledger.writer import LedgerWriter, WriterConfig
from gate_service.storage.database import Database

__all__ = ["Ledger", "LedgerEntry", "LedgerWriter", "NullLedger", "WriterConfig", "create_ledger"]


def create_ledger(db: Database, settings: Settings) -> LedgerWriter:
    """The write-behind ledger on ``db``. ``ledger_queue_size`` and
    ``ledger_close_timeout_s`` are read from the settings when they define them."""
    defaults = WriterConfig()
    config = WriterConfig(
        queue_size=int(getattr(settings, "ledger_queue_size", defaults.queue_size)),
        close_timeout_s=float(
            getattr(settings, "ledger_close_timeout_s", max(settings.shutdown_grace_s, 10.0))
        ),
    )
    return LedgerWriter(LedgerStore(db), config)

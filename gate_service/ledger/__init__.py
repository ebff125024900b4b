"""The ledger: one row per request, journaled before the answer and written to the database
in batches behind the request path; usage and traces are read back from it (docs/ledger.md).

The chat service calls ``record`` once per request with its :class:`RequestRecord` (the
one type every form of a request is derived from: journal line, row, proto and JSON);
``Core`` builds the ledger with :func:`create_ledger`, starts it (which writes what a
previous run left in the journal), and closes it (flushing) before the database goes away.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from gate_service.config import Settings
from gate_service.ledger.entry import Ledger, NullLedger
from gate_service.ledger.journal import Journal
from gate_service.ledger.reads import ReadGate
from gate_service.ledger.record import RequestRecord
from gate_service.ledger.store import LedgerStore
from gate_service.ledger.writer import LedgerWriter, WriterConfig
from gate_service.storage.database import Database

__all__ = [
    "Journal",
    "Ledger",
    "LedgerWriter",
    "NullLedger",
    "ReadGate",
    "RequestRecord",
    "WriterConfig",
    "create_ledger",
    "journal_root",
]


def journal_root(db: Database, settings: Settings) -> Path:
    """Where the journals of ``db`` live: ``ledger_journal_dir`` (default
    ``<data_dir>/ledger-journal``), then a folder per database, so that a journal is only
    ever replayed into the database it was written for (processes with one data directory
    and different databases, as tests and staging set-ups do, never mix their entries)."""
    base = settings.ledger_journal_dir or settings.data_dir / "ledger-journal"
    url = db.url.render_as_string(hide_password=True)
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return base / f"{db.dialect}-{digest}"


def create_ledger(db: Database, settings: Settings) -> LedgerWriter:
    """The ledger on ``db``; claims this process's journal slot (:func:`journal_root`)."""
    journal = Journal.open(
        journal_root(db, settings), fsync_interval_s=settings.ledger_fsync_interval_s
    )
    config = WriterConfig(
        queue_size=settings.ledger_queue_size,
        close_timeout_s=max(settings.shutdown_grace_s, 10.0),
    )
    reads = ReadGate(settings.ledger_read_share)
    return LedgerWriter(LedgerStore(db), journal, config, reads=reads)

"""``trace_content`` on both databases: written with the ledger's rows in one transaction,
read back only under its brand, purged in bounded batches once expired."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from gate_service.capture.content import CapturePolicy
from gate_service.capture.purge import purge_expired
from gate_service.capture.store import StoredContent, get_content
from gate_service.ledger.record import RequestRecord
from gate_service.ledger.store import LedgerStore
from gate_service.storage.database import Database
from tests.ledger.conftest import entry

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _captured(days: int, text: str) -> RequestRecord:
    policy = CapturePolicy(max_chars=1000, retention_days=days)
    content = policy.seal(
        [{"role": "user", "content": text}], [{"role": "assistant", "content": "ok"}], NOW
    )
    return replace(entry(created_at=NOW), content=content)


def test_content_is_written_with_its_row_and_read_under_its_brand(db: Database) -> None:
    db.migrate()
    captured, plain = _captured(30, "hello"), entry(created_at=NOW)
    assert LedgerStore(db).write([captured, plain]).written == 2
    found = get_content(db, captured.client_id, captured.id)
    assert found == StoredContent(
        [{"role": "user", "content": "hello"}],
        [{"role": "assistant", "content": "ok"}],
        False,
        False,
    )
    assert get_content(db, "cli_someoneelse00000", captured.id) is None
    assert get_content(db, plain.client_id, plain.id) is None


def test_the_purge_deletes_the_expired_in_bounded_batches(db: Database) -> None:
    db.migrate()
    short = [_captured(1, f"short {i}") for i in range(5)]
    long = _captured(30, "long")
    LedgerStore(db).write([*short, long])
    assert purge_expired(db, NOW) == 0
    assert purge_expired(db, NOW + timedelta(days=2), batch=2) == 5
    assert all(get_content(db, e.client_id, e.id) is None for e in short)
    assert get_content(db, long.client_id, long.id) is not None
    assert purge_expired(db, NOW + timedelta(days=31)) == 1

"""Writing ledger entries to ``request_log`` and ``attempt_log``: one transaction per batch.

Synchronous on purpose: the writer runs it in a thread (``asyncio.to_thread``) so the
event loop never waits on the database.

A batch is one multi-row insert per table in one transaction. Two kinds of failure are
told apart, because they need opposite treatment:

- *The database* fails (connection lost, server restarting, SQLite busy past its
  timeout): the exception propagates and the writer retries the whole batch later.
- *A row* is refused (``IntegrityError``, ``DataError``): retrying would fail forever, so
  the batch is written again one entry per transaction, which isolates the bad row. A
  duplicate id is either our own earlier write whose commit was acknowledged too late (the
  same request: skipped) or a client re-using an ``X-Request-Id`` (another request: stored
  under the id plus a suffix). A row still refused is reported back and dropped.

Strings are cut to their column's length and stripped of NUL characters first, since
PostgreSQL refuses both (SQLite would not, so tests on SQLite alone would miss it).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Table, select
from sqlalchemy.exc import DataError, IntegrityError

from gate_service.ledger.entry import LedgerEntry
from gate_service.storage.database import Database
from gate_service.storage.models import AttemptLog, RequestLog

log = logging.getLogger("spidergate.ledger")

REQUESTS: Table = RequestLog.__table__  # type: ignore[attr-defined]
ATTEMPTS: Table = AttemptLog.__table__  # type: ignore[attr-defined]


def _lengths(table: Table) -> dict[str, int]:
    """The length limit of each bounded text column."""
    lengths = {c.name: getattr(c.type, "length", None) for c in table.columns}
    return {name: n for name, n in lengths.items() if isinstance(n, int)}


_REQUEST_LENGTHS = _lengths(REQUESTS)
_ATTEMPT_LENGTHS = _lengths(ATTEMPTS)
# Longer request ids (a client's X-Request-Id may be) are stored cut to this.
REQUEST_ID_LENGTH = _REQUEST_LENGTHS["id"]


def _clean(value: str | None, limit: int | None) -> str | None:
    if value is None:
        return None
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value[:limit] if limit is not None else value


def utc(value: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def request_row(entry: LedgerEntry, request_id: str | None = None) -> dict[str, Any]:
    """The ``request_log`` row of an entry (optionally under another id)."""
    n = _REQUEST_LENGTHS
    return {
        "id": _clean(request_id or entry.request_id, n["id"]),
        "client_id": _clean(entry.client_id, n["client_id"]),
        "token_id": _clean(entry.token_id, n["token_id"]),
        "agent_name": _clean(entry.agent_name, n["agent_name"]),
        "requested_model": _clean(entry.requested_model, n["requested_model"]),
        "alias": _clean(entry.alias, n["alias"]),
        "served_model": _clean(entry.served_model, n["served_model"]),
        "provider": _clean(entry.provider, n["provider"]),
        "key_id": _clean(entry.key_id, n["key_id"]),
        "key_preview": _clean(entry.key_preview, n["key_preview"]),
        "status": int(entry.status),
        "error_code": _clean(entry.error_code, n["error_code"]),
        "latency_ms": float(entry.latency_ms),
        "ttft_ms": None if entry.ttft_ms is None else float(entry.ttft_ms),
        "prompt_tokens": int(entry.prompt_tokens),
        "completion_tokens": int(entry.completion_tokens),
        "cached_tokens": int(entry.cached_tokens),
        "reasoning_tokens": int(entry.reasoning_tokens),
        "cost_usd": float(entry.cost_usd),
        "streamed": bool(entry.streamed),
        "cache_hit": bool(entry.cache_hit),
        "fallback_chain": orjson.dumps(
            [c.replace("\x00", "") for c in entry.fallback_chain]
        ).decode(),
        "created_at": utc(entry.created_at),
    }


def attempt_rows(entry: LedgerEntry, request_id: str | None = None) -> list[dict[str, Any]]:
    """The ``attempt_log`` rows of an entry, numbered from 0 in the order tried."""
    n = _ATTEMPT_LENGTHS
    rid = _clean(request_id or entry.request_id, n["request_id"])
    return [
        {
            "request_id": rid,
            "seq": seq,
            "provider": _clean(a.provider, n["provider"]) or "",
            "model": _clean(a.model, n["model"]) or "",
            "key_preview": _clean(a.key, n["key_preview"]) or "",
            "outcome": _clean(a.outcome, n["outcome"]) or "",
            "status": int(a.status),
            "latency_ms": float(a.latency_ms),
            "error_code": _clean(a.error_code, n["error_code"]) or "",
            "error_message": _clean(a.error_message, n["error_message"]) or "",
        }
        for seq, a in enumerate(entry.attempts)
    ]


@dataclass(frozen=True, slots=True)
class WriteResult:
    """How a batch went: rows stored, and rows refused for good."""

    written: int
    rejected: int


class LedgerStore:
    """Inserts batches of entries; see the module docstring for the failure handling."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def write(self, entries: Sequence[LedgerEntry]) -> WriteResult:
        """Store every entry in one transaction; on a refused row, one by one."""
        if not entries:
            return WriteResult(0, 0)
        try:
            with self._db.engine.begin() as conn:
                self._insert(conn, entries)
            return WriteResult(len(entries), 0)
        except (IntegrityError, DataError):
            return self._write_each(entries)

    @staticmethod
    def _insert(conn: Connection, entries: Sequence[LedgerEntry]) -> None:
        conn.execute(REQUESTS.insert(), [request_row(e) for e in entries])
        attempts = [row for e in entries for row in attempt_rows(e)]
        if attempts:
            conn.execute(ATTEMPTS.insert(), attempts)

    def _write_each(self, entries: Sequence[LedgerEntry]) -> WriteResult:
        written = rejected = 0
        for entry in entries:
            try:
                if self._write_one(entry):
                    written += 1
            except (IntegrityError, DataError) as exc:
                rejected += 1
                log.error(
                    "dropped the row of request %s, the database refused it: %s",
                    entry.request_id,
                    type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__,
                )
        return WriteResult(written, rejected)

    def _write_one(self, entry: LedgerEntry) -> bool:
        """Store one entry; False when it was already stored (a retried commit)."""
        try:
            with self._db.engine.begin() as conn:
                self._insert(conn, [entry])
            return True
        except IntegrityError:
            if self._already_stored(entry):
                return False
        # Another request under the same id (a client re-using X-Request-Id).
        new_id = f"{entry.request_id[: REQUEST_ID_LENGTH - 9]}~{secrets.token_hex(4)}"
        with self._db.engine.begin() as conn:
            conn.execute(REQUESTS.insert(), [request_row(entry, new_id)])
            rows = attempt_rows(entry, new_id)
            if rows:
                conn.execute(ATTEMPTS.insert(), rows)
        return True

    def _already_stored(self, entry: LedgerEntry) -> bool:
        row = request_row(entry)
        with self._db.engine.connect() as conn:
            found = conn.execute(
                select(REQUESTS.c.client_id, REQUESTS.c.created_at, REQUESTS.c.latency_ms).where(
                    REQUESTS.c.id == row["id"]
                )
            ).first()
        if found is None:
            return False
        return (
            found.client_id == row["client_id"]
            and utc(found.created_at) == row["created_at"]
            and found.latency_ms == row["latency_ms"]
        )

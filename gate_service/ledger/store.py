"""Writing ledger entries to ``request_log`` and ``usage_rollup``: one transaction per batch.

Synchronous on purpose: the writer runs it on its own thread so the event loop never waits
on the database.

A batch is one multi-row insert of the rows (each with its attempts as JSON), the rollups
they add to (:mod:`.rollups`) and, for a batch read from a journal, the journal's
*watermark*: the last sequence number committed, in ``meta`` under the journal's key, in
the same transaction. Whatever happens to the process or to the acknowledgement of a
commit, the database then says exactly which entries it holds: a batch is written again
only from the first entry after the watermark, so nothing is stored twice and, the journal
keeping everything after it, nothing is lost.

Two kinds of failure are told apart, because they need opposite treatment:

- *The database* fails (connection lost, server restarting, SQLite busy past its
  timeout): the exception propagates and the writer retries the whole batch later.
- *A row* is refused (``IntegrityError``, ``DataError``): retrying would fail forever, so
  the batch is written again one entry per transaction, which isolates the bad row. A
  duplicate id is either a row stored before the watermark existed (the same request:
  skipped) or a client re-using an ``X-Request-Id`` (another request: stored under the id
  plus a suffix). A row still refused is reported back, logged and counted, and the
  watermark moves past it.

Strings are cut to their column's length and stripped of NUL characters first, since
PostgreSQL refuses both (SQLite would not, so tests on SQLite alone would miss it).
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from gate_service.ledger import rollups
from gate_service.ledger.entry import LedgerEntry
from gate_service.ledger.timeutil import utc
from gate_service.routing.outcome import Attempt
from gate_service.storage.database import Database
from gate_service.storage.models import Meta, RequestLog

log = logging.getLogger("spidergate.ledger")

REQUESTS: Table = RequestLog.__table__  # type: ignore[attr-defined]
META: Table = Meta.__table__  # type: ignore[attr-defined]


def _lengths(table: Table) -> dict[str, int]:
    """The length limit of each bounded text column."""
    lengths = {c.name: getattr(c.type, "length", None) for c in table.columns}
    return {name: n for name, n in lengths.items() if isinstance(n, int)}


_REQUEST_LENGTHS = _lengths(REQUESTS)
# The attempts' fields kept in request_log.attempts, and how long each may be.
_ATTEMPT_LENGTHS = {
    "provider": 64,
    "model": 300,
    "key": 32,
    "outcome": 16,
    "error_code": 64,
    "error_message": 300,
}
_INT_MAX = 2**31 - 1
# Longer request ids (a client's X-Request-Id may be) are stored cut to this.
REQUEST_ID_LENGTH = _REQUEST_LENGTHS["id"]


def _clean(value: str | None, limit: int | None) -> str | None:
    if not value:
        return value
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value[:limit] if limit is not None and len(value) > limit else value


def _int(value: int) -> int:
    """An integer column's value: PostgreSQL's ``integer`` refuses more than 32 bits, SQLite
    more than 64 (as a Python error, not the database's); an upstream's absurd count must
    not cost the row."""
    return max(min(int(value), _INT_MAX), -_INT_MAX - 1)


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
        "status": _int(entry.status),
        "error_code": _clean(entry.error_code, n["error_code"]),
        "latency_ms": float(entry.latency_ms),
        "ttft_ms": None if entry.ttft_ms is None else float(entry.ttft_ms),
        "prompt_tokens": _int(entry.prompt_tokens),
        "completion_tokens": _int(entry.completion_tokens),
        "cached_tokens": _int(entry.cached_tokens),
        "reasoning_tokens": _int(entry.reasoning_tokens),
        "cost_usd": float(entry.cost_usd),
        "streamed": bool(entry.streamed),
        "cache_hit": bool(entry.cache_hit),
        "fallback_chain": orjson.dumps(
            [c.replace("\x00", "") for c in entry.fallback_chain]
        ).decode(),
        "attempts": orjson.dumps([attempt_json(a) for a in entry.attempts]).decode(),
        "created_at": utc(entry.created_at),
    }


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    """One attempt as ``request_log.attempts`` keeps it."""
    n = _ATTEMPT_LENGTHS
    return {
        "provider": _clean(attempt.provider, n["provider"]) or "",
        "model": _clean(attempt.model, n["model"]) or "",
        "key": _clean(attempt.key, n["key"]) or "",
        "outcome": _clean(attempt.outcome, n["outcome"]) or "",
        "status": _int(attempt.status),
        "latency_ms": float(attempt.latency_ms),
        "error_code": _clean(attempt.error_code, n["error_code"]) or "",
        "error_message": _clean(attempt.error_message, n["error_message"]) or "",
    }


@dataclass(frozen=True, slots=True)
class WriteResult:
    """How a batch went: rows stored, and rows refused for good."""

    written: int
    rejected: int


# Rows go in by multi-row INSERTs through the driver: one statement (one release and
# re-acquisition of the GIL by the writer's thread) per 41 rows instead of one per row, and
# no per-row parameter processing by SQLAlchemy. On a 300k-row ledger, with a CPU-bound
# thread standing in for the event loop, the writer went from 1,103 to 1,633 rows/s. 41
# rows × 24 columns stay under 999 parameters, the limit of SQLite builds before 3.32.
_COLUMNS = tuple(c.name for c in REQUESTS.columns)
_ROWS_PER_INSERT = 999 // len(_COLUMNS)
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite


def _for_sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime(_SQLITE_TIME)
    if isinstance(value, bool):
        return int(value)
    return value


def _as_is(value: Any) -> Any:
    return value


@functools.cache
def _insert_sql(dialect: str, rows: int) -> tuple[str, Callable[[Any], Any]]:
    mark = "?" if dialect == "sqlite" else "%s"
    one = "(" + ", ".join([mark] * len(_COLUMNS)) + ")"
    sql = f"INSERT INTO {REQUESTS.name} ({', '.join(_COLUMNS)}) VALUES " + ", ".join([one] * rows)
    return sql, _for_sqlite if dialect == "sqlite" else _as_is


# (journal sequence number, entry); the number is None for entries not from a journal.
Numbered = tuple[int | None, LedgerEntry]


class LedgerStore:
    """Inserts batches of entries; see the module docstring for the failure handling."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def watermark(self, key: str) -> int:
        """The last sequence number of journal ``key`` committed (0: none yet)."""
        value = self._db.get_meta(key)
        return int(value) if value else 0

    def write(self, entries: Sequence[LedgerEntry]) -> WriteResult:
        """Store entries that come from no journal (tools, tests), in one transaction."""
        return self._write([(None, e) for e in entries], None, None)

    def commit(self, batch: Sequence[Numbered], key: str, upto: int) -> WriteResult:
        """Store a batch read from journal ``key`` and move its watermark to ``upto`` (the
        batch's last number, or beyond it when the journal had gaps), atomically; entries
        at or below the stored watermark are skipped (already committed)."""
        return self._write(batch, key, upto)

    def _write(self, batch: Sequence[Numbered], key: str | None, upto: int | None) -> WriteResult:
        try:
            with self._db.engine.begin() as conn:
                todo = self._unstored(conn, batch, key)
                if todo:
                    self._insert(conn, [request_row(e) for _, e in todo])
                if key is not None and upto is not None:
                    self._mark(conn, key, upto)
            return WriteResult(len(todo), 0)
        except (IntegrityError, DataError):
            return self._write_each(batch, key, upto)
        except SQLAlchemyError:
            raise
        except Exception:
            # Not the database (a value no driver takes, a bug): find the entry, keep the rest.
            log.exception(
                "writing a batch of %d entries failed; writing them one by one", len(batch)
            )
            return self._write_each(batch, key, upto)

    @staticmethod
    def _unstored(conn: Connection, batch: Sequence[Numbered], key: str | None) -> list[Numbered]:
        if key is None:
            return list(batch)
        stored = conn.execute(select(META.c.value).where(META.c.key == key)).scalar()
        mark = int(stored) if stored else 0
        return [(seq, e) for seq, e in batch if seq is None or seq > mark]

    def _insert(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            sql, convert = _insert_sql(conn.dialect.name, len(chunk))
            conn.exec_driver_sql(sql, tuple(convert(row[c]) for row in chunk for c in _COLUMNS))
        rollups.apply(conn, rollups.tally(rows))

    def _mark(self, conn: Connection, key: str, seq: int) -> None:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(META).values(key=key, value=str(seq))
        conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": str(seq)}))

    def _write_each(
        self, batch: Sequence[Numbered], key: str | None, upto: int | None
    ) -> WriteResult:
        written = rejected = 0
        for seq, entry in batch:
            try:
                written += self._write_one(seq, entry, key)
            except (IntegrityError, DataError) as exc:
                rejected += 1
                log.error(
                    "dropped the row of request %s, the database refused it: %s",
                    entry.request_id,
                    type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__,
                )
            except SQLAlchemyError:
                raise
            except Exception:
                rejected += 1
                log.exception(
                    "dropped the row of request %s: it cannot be written", entry.request_id
                )
            else:
                continue
            # Given up on: the watermark moves past it.
            if key is not None and seq is not None:
                with self._db.engine.begin() as conn:
                    self._mark(conn, key, seq)
        if key is not None and upto is not None:
            with self._db.engine.begin() as conn:
                self._mark(conn, key, upto)
        return WriteResult(written, rejected)

    def _write_one(self, seq: int | None, entry: LedgerEntry, key: str | None) -> bool:
        """Store one entry (and move the watermark to it); False when it was stored before."""
        with self._db.engine.begin() as conn:
            if not self._unstored(conn, [(seq, entry)], key):
                return False
            stored = self._stored_as(conn, entry)
            if stored is None:
                self._insert(conn, [request_row(entry)])
            elif not stored:
                # Another request under the same id (a client re-using X-Request-Id).
                new_id = f"{entry.request_id[: REQUEST_ID_LENGTH - 9]}~{secrets.token_hex(4)}"
                self._insert(conn, [request_row(entry, new_id)])
            if key is not None and seq is not None:
                self._mark(conn, key, seq)
        return not stored

    @staticmethod
    def _stored_as(conn: Connection, entry: LedgerEntry) -> bool | None:
        """None: no row has the entry's id; True: this very request is stored (written
        before the watermark existed); False: another request holds the id."""
        row = request_row(entry)
        found = conn.execute(
            select(REQUESTS.c.client_id, REQUESTS.c.created_at, REQUESTS.c.latency_ms).where(
                REQUESTS.c.id == row["id"]
            )
        ).first()
        if found is None:
            return None
        return (
            found.client_id == row["client_id"]
            and utc(found.created_at) == row["created_at"]
            and found.latency_ms == row["latency_ms"]
        )

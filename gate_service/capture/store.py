"""``trace_content``: the captured messages, one row per captured request, keyed by the
trace id (the ``request_log`` row's id) and written by the ledger writer in the
transaction that writes the request's row, so the two are committed together, exactly
once. Read back only for ``GET /traces/{id}``, by primary key, within the caller's brand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Table, insert, select

from gate_service.capture.content import CapturedContent
from gate_service.domain import Json
from gate_service.storage.database import Database
from gate_service.storage.models import TraceContent

CONTENT: Table = TraceContent.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class StoredContent:
    """What ``GET /traces/{id}`` shows of a captured request."""

    input_messages: list[Json]
    output_messages: list[Json]
    input_truncated: bool
    output_truncated: bool


def content_row(
    request_id: str, client_id: str, created_at: datetime, content: CapturedContent
) -> dict[str, Any]:
    """The ``trace_content`` row of one request's captured content."""
    return {
        "id": request_id,
        "client_id": client_id,
        "created_at": created_at,
        "expires_at": content.expires_at,
        "input_messages": orjson.dumps(content.input_messages).decode(),
        "output_messages": orjson.dumps(content.output_messages).decode(),
        "input_truncated": content.input_truncated,
        "output_truncated": content.output_truncated,
    }


def insert_rows(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert captured content rows (in the ledger writer's transaction)."""
    if rows:
        conn.execute(insert(CONTENT), list(rows))


def get_content(db: Database, client_id: str, trace_id: str) -> StoredContent | None:
    """The captured content of one of ``client_id``'s requests, or None (not captured,
    purged, or another brand's)."""
    query = select(CONTENT).where(CONTENT.c.id == trace_id, CONTENT.c.client_id == client_id)
    with db.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return StoredContent(
        orjson.loads(row.input_messages),
        orjson.loads(row.output_messages),
        bool(row.input_truncated),
        bool(row.output_truncated),
    )

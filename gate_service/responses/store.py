"""Stored responses (``store: true``, OpenAI's default), in the gateway's database.

Every read and write is scoped to the brand: another brand's id is not found, exactly as
a missing one. Rows older than the retention bound (``responses_retention_days``) are
never returned, and are deleted by a purge that runs at most once an hour, piggybacked on
a write (cheap: one indexed ``DELETE``, never per request).

Synchronous by design: the service calls it through ``asyncio.to_thread`` so the event
loop never waits on the database; writes go through :class:`~gate_service.responses.writer.
GroupWriter`, which inserts the responses finished meanwhile in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import delete, select

from gate_service.domain import Json
from gate_service.storage.database import Database
from gate_service.storage.models import StoredResponse

_TABLE = StoredResponse.__table__  # type: ignore[attr-defined]
Row = dict[str, object]
PURGE_EVERY_S = 3600.0


@dataclass(frozen=True, slots=True)
class Stored:
    response: Json
    input_items: list[Json]
    context: list[Json]

    @property
    def conversation(self) -> list[Json]:
        """What a response continuing this one prepends: the context before it, its
        input, and its output."""
        output = self.response.get("output") or []
        return [*self.context, *self.input_items, *output]


class ResponseStore:
    def __init__(
        self,
        db: Database,
        retention_days: float,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.writes = db.relaxed()
        self.retention = timedelta(days=retention_days)
        self.clock = clock
        self.monotonic = monotonic
        self._last_purge: float | None = None

    def _cutoff(self) -> datetime:
        return self.clock() - self.retention

    def row(
        self, client_id: str, response: Json, input_items: list[Json], context: list[Json]
    ) -> Row:
        """The table row of a response to store (stamped now, serialised here so that a
        group write only inserts)."""
        return {
            "id": response["id"],
            "client_id": client_id,
            "created_at": self.clock(),
            "response": orjson.dumps(response).decode(),
            "input_items": orjson.dumps(input_items).decode(),
            "context": orjson.dumps(context).decode(),
        }

    def save(
        self, client_id: str, response: Json, input_items: list[Json], context: list[Json]
    ) -> None:
        self.save_rows([self.row(client_id, response, input_items, context)])

    def save_rows(self, rows: list[Row]) -> None:
        """Insert rows in one transaction on the relaxed handle (:meth:`Database.relaxed`):
        visible to every reader, any replica, when this returns, without waiting for the
        disk flush (an fsync per group cost every ``store: true`` request about 3 ms at 16
        in flight)."""
        with self.writes.engine.begin() as connection:
            connection.execute(_TABLE.insert(), rows)
        self.purge_if_due()

    def close(self) -> None:
        if self.writes is not self.db:
            self.writes.dispose()

    def get(self, client_id: str, response_id: str) -> Stored | None:
        with self.db.engine.connect() as connection:
            row = connection.execute(
                select(_TABLE.c.response, _TABLE.c.input_items, _TABLE.c.context).where(
                    _TABLE.c.id == response_id,
                    _TABLE.c.client_id == client_id,
                    _TABLE.c.created_at >= self._cutoff(),
                )
            ).one_or_none()
        if row is None:
            return None
        return Stored(orjson.loads(row[0]), orjson.loads(row[1]), orjson.loads(row[2]))

    def delete(self, client_id: str, response_id: str) -> bool:
        with self.db.engine.begin() as connection:
            result = connection.execute(
                delete(_TABLE).where(_TABLE.c.id == response_id, _TABLE.c.client_id == client_id)
            )
        return bool(result.rowcount)

    def purge_if_due(self) -> int:
        """Delete the expired rows if the last purge is an hour old (or never ran)."""
        now = self.monotonic()
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY_S:
            return 0
        self._last_purge = now
        return self.purge()

    def purge(self) -> int:
        with self.db.engine.begin() as connection:
            result = connection.execute(delete(_TABLE).where(_TABLE.c.created_at < self._cutoff()))
        return int(result.rowcount or 0)

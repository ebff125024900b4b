"""The ``model_probe`` table (migration 0014): one row per model (catalog id), holding
the probe's verdict and routing's empty-answer measurement. Each writer upserts only its
own columns, so ``spidergate catalog probe`` and a gateway learning from answers never
overwrite each other's findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gate_service.routing.empty_budgets import Measure
from gate_service.storage.database import Database
from gate_service.storage.models import ModelProbe

_TABLE = ModelProbe.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One model's probe verdict: ``status`` is ``ok``, ``no_tools``, ``delisted`` or
    ``error``; ``supports_tools`` None when the probe could not tell."""

    model_id: str
    supports_tools: bool | None
    status: str
    probed_at: datetime


@dataclass(frozen=True, slots=True)
class Stored:
    """Everything the table holds, read in one query."""

    probes: list[ProbeResult]
    empty_marks: list[tuple[str, Measure]]


def read_all(db: Database) -> Stored:
    with db.engine.connect() as connection:
        rows = connection.execute(select(_TABLE)).mappings().all()
    probes = [
        ProbeResult(
            r["model_id"], r["supports_tools"], r["last_probe_status"], _utc(r["probed_at"])
        )
        for r in rows
        if r["last_probe_status"] is not None and r["probed_at"] is not None
    ]
    marks = [
        (r["model_id"], Measure(r["empty_at_budget"], _utc(r["empty_updated_at"]).timestamp()))
        for r in rows
        if r["empty_updated_at"] is not None
    ]
    return Stored(probes, marks)


def save_probes(db: Database, results: Sequence[ProbeResult]) -> None:
    """Write probe verdicts (their columns only)."""
    _upsert(
        db,
        [
            {
                "model_id": r.model_id,
                "supports_tools": r.supports_tools,
                "last_probe_status": r.status,
                "probed_at": r.probed_at,
            }
            for r in results
        ],
        ("supports_tools", "last_probe_status", "probed_at"),
    )


def save_empty_marks(db: Database, changes: Iterable[tuple[str, Measure]]) -> None:
    """Write empty-answer measurements and clearings (their columns only)."""
    _upsert(
        db,
        [
            {
                "model_id": model_id,
                "empty_at_budget": mark.budget,
                "empty_updated_at": datetime.fromtimestamp(mark.at, UTC),
            }
            for model_id, mark in changes
        ],
        ("empty_at_budget", "empty_updated_at"),
    )


def _upsert(db: Database, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    if not rows:
        return
    insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
    with db.engine.begin() as connection:
        for row in rows:
            statement = insert(_TABLE).values(**row)
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["model_id"],
                    set_={name: statement.excluded[name] for name in columns},
                )
            )


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

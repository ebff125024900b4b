"""The ``model_probe`` table (migration 0014, catalog/probe_store.py) on SQLite and
PostgreSQL: the probe and routing each upsert their own columns without touching the
other's, and timestamps come back in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from gate_service.catalog.probe_store import ProbeResult, read_all, save_empty_marks, save_probes
from gate_service.routing.empty_budgets import Measure
from gate_service.storage.database import Database

WHEN = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)


def test_probe_verdicts_and_empty_marks_share_a_row(db: Database) -> None:
    save_empty_marks(db, [("groq/a", Measure(16, WHEN.timestamp()))])
    save_probes(db, [ProbeResult("groq/a", False, "no_tools", WHEN)])
    save_probes(db, [ProbeResult("groq/b", None, "delisted", WHEN)])
    stored = read_all(db)
    assert sorted(stored.probes, key=lambda p: p.model_id) == [
        ProbeResult("groq/a", False, "no_tools", WHEN),
        ProbeResult("groq/b", None, "delisted", WHEN),
    ]
    assert stored.empty_marks == [("groq/a", Measure(16, WHEN.timestamp()))]

    # A later probe and a clearing each change their own columns only.
    later = datetime(2026, 12, 2, tzinfo=UTC)
    save_probes(db, [ProbeResult("groq/a", True, "ok", later)])
    save_empty_marks(db, [("groq/a", Measure(None, later.timestamp()))])
    again = read_all(db)
    assert [p for p in again.probes if p.model_id == "groq/a"] == [
        ProbeResult("groq/a", True, "ok", later)
    ]
    assert again.empty_marks == [("groq/a", Measure(None, later.timestamp()))]
    save_probes(db, [])
    save_empty_marks(db, [])

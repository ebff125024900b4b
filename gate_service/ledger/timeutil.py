"""UTC and hours: the ledger's one notion of time (rows, rollups and reports agree on it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

HOUR = timedelta(hours=1)
# The resolution of stored times (PostgreSQL's timestamptz, SQLite's stored strings).
TICK = timedelta(microseconds=1)


def utc(value: datetime) -> datetime:
    """Aware UTC; a naive datetime is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def hour_of(value: datetime) -> datetime:
    """The start of the hour ``value`` falls in, aware UTC."""
    return utc(value).replace(minute=0, second=0, microsecond=0)

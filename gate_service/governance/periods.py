"""Billing periods: a month starting on the brand's anchor day, in UTC.

A period runs from ``anchor_day`` 00:00 UTC of one month to the same day of the next; its
key (``"2026-11@15"``: the month it starts in, and the anchor) names the budget counters,
so a new period starts from zero without anyone resetting anything, and changing the
anchor day starts a fresh counter (seeded from the ledger since the new period's start).
Anchor days stop at 28 so that every month has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class BillingPeriod:
    """``[start, end)`` in UTC, and the key naming its counters."""

    start: datetime
    end: datetime
    key: str


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def billing_period(now: datetime, anchor_day: int) -> BillingPeriod:
    """The period containing ``now`` (aware, or naive UTC) for a 1-28 anchor day."""
    if not 1 <= anchor_day <= 28:
        raise ValueError(f"anchor day {anchor_day} is not in 1..28")
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    year, month = now.year, now.month
    if now.day < anchor_day:
        year, month = _previous_month(year, month)
    start = datetime(year, month, anchor_day, tzinfo=UTC)
    end = datetime(*_next_month(year, month), anchor_day, tzinfo=UTC)
    return BillingPeriod(start=start, end=end, key=f"{year:04d}-{month:02d}@{anchor_day}")

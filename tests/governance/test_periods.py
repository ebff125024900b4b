"""Billing periods: the anchor day, month and year ends, keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gate_service.governance.periods import billing_period


def _utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "anchor", "start", "end", "key"),
    [
        (_utc(2026, 11, 18, 12), 1, _utc(2026, 11, 1), _utc(2026, 12, 1), "2026-11@1"),
        (_utc(2026, 11, 1), 1, _utc(2026, 11, 1), _utc(2026, 12, 1), "2026-11@1"),
        (_utc(2026, 11, 14, 23, 59, 59), 15, _utc(2026, 10, 15), _utc(2026, 11, 15), "2026-10@15"),
        (_utc(2026, 11, 15), 15, _utc(2026, 11, 15), _utc(2026, 12, 15), "2026-11@15"),
        (_utc(2026, 12, 31, 23), 1, _utc(2026, 12, 1), _utc(2027, 1, 1), "2026-12@1"),
        (_utc(2027, 1, 10), 28, _utc(2026, 12, 28), _utc(2027, 1, 28), "2026-12@28"),
        (_utc(2028, 2, 29), 28, _utc(2028, 2, 28), _utc(2028, 3, 28), "2028-02@28"),
    ],
)
def test_period(now: datetime, anchor: int, start: datetime, end: datetime, key: str) -> None:
    period = billing_period(now, anchor)
    assert (period.start, period.end, period.key) == (start, end, key)


def test_naive_and_other_zones_are_read_as_utc_instants() -> None:
    paris = timezone(timedelta(hours=1))
    # 00:30 on the 15th in Paris is still the 14th in UTC.
    assert billing_period(datetime(2026, 11, 15, 0, 30, tzinfo=paris), 15).key == "2026-10@15"
    assert billing_period(datetime(2026, 11, 15, 0, 30), 15).key == "2026-11@15"


@pytest.mark.parametrize("anchor", [0, 29, 31])
def test_anchor_days_stop_at_28(anchor: int) -> None:
    with pytest.raises(ValueError, match="anchor day"):
        billing_period(_utc(2026, 11, 18), anchor)

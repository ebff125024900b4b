"""Headers and errors built from the store's answers."""

from __future__ import annotations

from gate_service.errors import GateError
from gate_service.governance import answers
from gate_service.governance.answers import Scope
from gate_service.governance.store import BudgetState, Window, WindowState, to_nano

MINUTE = Window("m", 60_000, 60)
DAY = Window("d", 86_400_000, 1000)


def test_usd_shows_cents_and_only_the_digits_needed() -> None:
    assert answers.usd(0.01) == "$0.01"
    assert answers.usd(12.5) == "$12.50"
    assert answers.usd(0.0010125) == "$0.0010125"
    assert answers.usd(0) == "$0.00"


def test_rate_headers_pick_the_window_with_least_left() -> None:
    assert answers.rate_headers((), ()) == {}
    both = answers.rate_headers(
        (MINUTE, DAY), (WindowState(10, 59_001), WindowState(995, 7_000_000))
    )
    assert both == {
        "X-RateLimit-Limit-Requests": "1000",
        "X-RateLimit-Remaining-Requests": "5",
        "X-RateLimit-Reset": "7000",
    }
    tie = answers.rate_headers((MINUTE, DAY), (WindowState(60, 1), WindowState(1000, 2)))
    assert tie["X-RateLimit-Limit-Requests"] == "60"


def test_rate_errors() -> None:
    minute = answers.rate_error(MINUTE, WindowState(60, 12_345))
    assert isinstance(minute, GateError) and minute.http_status == 429
    assert minute.code == "rate_limit_exceeded"
    assert minute.message == "Rate limit exceeded: 61/60 requests per minute. Retry after 13 s."
    assert minute.headers["Retry-After"] == "13"
    day = answers.rate_error(DAY, WindowState(1000, 1))
    assert day.code == "daily_rate_limit_exceeded"
    assert day.message.startswith("Daily rate limit exceeded: 1001/1000 requests per day")


def test_budget_error_and_warning() -> None:
    scope = Scope("brand", to_nano(5))
    state = BudgetState(to_nano(4.5), to_nano(0.25))
    error = answers.budget_error(scope, state, to_nano(0.5), {"X-RateLimit-Limit-Requests": "1"})
    assert error.http_status == 402 and error.reason.type == "insufficient_quota"
    assert "brand's hard monthly budget is $5.00; $4.50 spent and $0.25 reserved" in error.message
    assert error.headers == {"X-RateLimit-Limit-Requests": "1"}
    assert answers.budget_warning(scope, state, to_nano(0.25)) is None  # exactly at the cap
    warning = answers.budget_warning(scope, state, to_nano(0.26))
    assert warning == "brand soft budget exceeded: $4.50 spent of $5.00 this period"
    assert warning.isascii()

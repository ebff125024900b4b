"""What the analytics routes (``/traces/stats``, ``/stats``, ``/flow``, ``/capacity``) ask
the ledger and what it answers: plain types, checked once here whichever edge the query
came through. The usage report's own types are in :mod:`.views`."""

from __future__ import annotations

from dataclasses import dataclass

from gate_service.errors import invalid
from gate_service.ledger.views import LedgerScope, TimeWindow

DEFAULT_DAYS = 7
MAX_DAYS = 90
DEFAULT_FLOW_LIMIT = 100
MAX_FLOW_LIMIT = 1000
DEFAULT_KEY_LIMIT = 50
MAX_KEY_LIMIT = 500


def check_range(value: int, low: int, high: int, name: str) -> None:
    if not low <= value <= high:
        raise invalid(f"'{name}' must be between {low} and {high}", name)


@dataclass(frozen=True, slots=True)
class TraceStats:
    """Counts, p95 latency (of the successes) and cost of the requests a filter matches."""

    window: TimeWindow
    count: int
    success_count: int
    error_count: int
    latency_p95_ms: float | None
    cost_usd: float


@dataclass(frozen=True, slots=True)
class Stats:
    """A scope's overview of a window."""

    window: TimeWindow
    active_agents: int
    requests: int
    errors: int
    cost_usd: float


@dataclass(frozen=True, slots=True)
class FlowQuery:
    """Requested → served over the whole hours of the last ``days`` days."""

    scope: LedgerScope
    days: int = DEFAULT_DAYS
    limit: int = DEFAULT_FLOW_LIMIT

    def __post_init__(self) -> None:
        check_range(self.days, 1, MAX_DAYS, "days")
        check_range(self.limit, 1, MAX_FLOW_LIMIT, "limit")


@dataclass(frozen=True, slots=True)
class FlowRow:
    requested_model: str
    served_model: str | None
    provider: str | None
    requests: int
    errors: int
    cost_usd: float


@dataclass(frozen=True, slots=True)
class Flow:
    window: TimeWindow
    rows: tuple[FlowRow, ...]
    truncated: bool


@dataclass(frozen=True, slots=True)
class CapacityQuery:
    scope: LedgerScope
    days: int = DEFAULT_DAYS
    key_limit: int = DEFAULT_KEY_LIMIT

    def __post_init__(self) -> None:
        check_range(self.days, 1, MAX_DAYS, "days")
        check_range(self.key_limit, 1, MAX_KEY_LIMIT, "key_limit")


@dataclass(frozen=True, slots=True)
class ProviderLoad:
    """The attempts the ledger saw at one provider in a window."""

    provider: str
    attempts: int = 0
    errors: int = 0
    rate_limited: int = 0

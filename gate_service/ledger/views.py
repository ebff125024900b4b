"""What the usage and traces API asks the ledger, and what it answers: plain types (a
trace is the request's :class:`~gate_service.ledger.record.RequestRecord` itself).

The scope is part of every query rather than a filter a caller may set: an agent token
reads its own rows, a client credential its brand's, and no parameter can widen that.
Range checks live here, once, whichever edge (gRPC or REST) the query came through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from gate_service.auth.principal import Principal
from gate_service.errors import invalid
from gate_service.ledger.record import REQUEST_KINDS, RequestKind, RequestRecord

Bucket = Literal["hour", "day"]
StatusClass = Literal["success", "error"]

DEFAULT_WINDOW = timedelta(days=30)
_KIND_ERROR = f"'kind' must be one of {', '.join(REQUEST_KINDS)}"
DEFAULT_TRACE_LIMIT = 50
MAX_TRACE_LIMIT = 500


@dataclass(frozen=True, slots=True)
class LedgerScope:
    """Whose rows a query may read: a brand, one agent token of it, or (``client_id``
    None: the operator) every brand's."""

    client_id: str | None
    token_id: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> LedgerScope:
        """An agent token sees its own requests; a client credential its whole brand."""
        if principal.kind == "agent_token":
            return cls(principal.client_id, principal.token_id or "")
        return cls(principal.client_id)

    @classmethod
    def everyone(cls) -> LedgerScope:
        """The operator's: every brand's requests."""
        return cls(None)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """``[start, end]``, both inclusive, aware UTC."""

    start: datetime
    end: datetime

    @classmethod
    def build(cls, start: datetime | None, end: datetime | None, now: datetime) -> TimeWindow:
        """Defaults: the end is now, the start 30 days before the end."""
        end = end or now
        start = start or end - DEFAULT_WINDOW
        if start > end:
            raise invalid("'from' must not be after 'to'", "from")
        return cls(start, end)

    def preceding(self) -> TimeWindow:
        """The window of equal length that ends just before this one starts."""
        end = self.start - timedelta(microseconds=1)
        return TimeWindow(end - (self.end - self.start), end)


def check_kind(kind: str | None) -> None:
    """A kind filter names a request kind (or is None: every kind)."""
    if kind is not None and kind not in REQUEST_KINDS:
        raise invalid(_KIND_ERROR, "kind")


@dataclass(frozen=True, slots=True)
class UsageQuery:
    """The scope's usage in a window; ``kind`` keeps only requests of that kind."""

    scope: LedgerScope
    window: TimeWindow
    bucket: Bucket = "day"
    kind: RequestKind | None = None
    compare: bool = False

    def __post_init__(self) -> None:
        check_kind(self.kind)


@dataclass(frozen=True, slots=True)
class UsageMetrics:
    """The same figures for any set of requests. Latency percentiles are over the
    successful requests (a 429 answered in a millisecond says nothing about latency);
    None when there are none."""

    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    # Requests answered from the response cache; requests that fell back (a fallback
    # chain of two or more candidates: tried or skipped before the one that answered).
    cache_hits: int = 0
    fallbacks: int = 0

    @property
    def error_rate(self) -> float:
        return round(self.errors / self.requests, 6) if self.requests else 0.0

    @property
    def cache_hit_rate(self) -> float:
        """The share of requests answered from the response cache."""
        return round(self.cache_hits / self.requests, 6) if self.requests else 0.0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class UsageGroup:
    """The requests sharing one value (None: requests without one) of a dimension."""

    key: str | None
    metrics: UsageMetrics


@dataclass(frozen=True, slots=True)
class UsageBucket:
    start: datetime
    metrics: UsageMetrics


@dataclass(frozen=True, slots=True)
class UsageReport:
    window: TimeWindow
    bucket: Bucket
    totals: UsageMetrics
    by_model: tuple[UsageGroup, ...] = ()
    by_provider: tuple[UsageGroup, ...] = ()
    by_alias: tuple[UsageGroup, ...] = ()
    by_agent: tuple[UsageGroup, ...] = ()
    by_bucket: tuple[UsageBucket, ...] = ()
    by_kind: tuple[UsageGroup, ...] = ()
    # ``compare=true``: the same report over the window of equal length just before.
    comparison: UsageReport | None = None


@dataclass(frozen=True, slots=True)
class TraceQuery:
    """A page of the scope's requests, newest first. ``model`` matches the model or
    alias asked for and the model that served; ``kind`` the request kind."""

    scope: LedgerScope
    window: TimeWindow
    agent: str | None = None
    model: str | None = None
    status_class: StatusClass | None = None
    status: int | None = None
    kind: RequestKind | None = None
    limit: int = DEFAULT_TRACE_LIMIT
    offset: int = 0
    min_latency_ms: float | None = None
    min_cost_usd: float | None = None

    def __post_init__(self) -> None:
        for name in ("min_latency_ms", "min_cost_usd"):
            value = getattr(self, name)
            if value is not None and not 0 <= value < float("inf"):
                raise invalid(f"'{name}' must be a number of at least 0", name)
        if not 1 <= self.limit <= MAX_TRACE_LIMIT:
            raise invalid(f"'limit' must be between 1 and {MAX_TRACE_LIMIT}", "limit")
        if self.offset < 0:
            raise invalid("'offset' must not be negative", "offset")
        if self.status is not None and not 100 <= self.status <= 599:
            raise invalid("'status' must be success, error or an HTTP status", "status")
        check_kind(self.kind)


@dataclass(frozen=True, slots=True)
class TracePage:
    """A page of requests, newest first, each without its attempts."""

    traces: tuple[RequestRecord, ...]
    has_more: bool

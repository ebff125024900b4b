"""The counter store interface: what the governor asks of a backend, in plain types.

Two backends implement it, with the same semantics and the same test suite
(``tests/governance``): :class:`~gate_service.governance.memory.MemoryCounterStore` for one
process and :class:`~gate_service.governance.redis_store.RedisCounterStore` for replicas.

**One atomic step per request.** ``admit`` checks every rate window and every budget of a
request and, only if all of them allow it, records the request in every window and
reserves its worst-case cost in every budget, as one indivisible operation. Nothing is
read in one step and written in another, so no interleaving of concurrent requests (in
one process or across replicas) can admit more than a limit allows; and a request refused
by one control consumes nothing from the others (a 402 does not use up a rate slot).

**Money is counted in integer nano-dollars** (1e-9 USD). Sums of integers are exact, so
"ten reservations of $0.001 fit a $0.01 cap" holds, which float addition does not promise.

**Windows** are sliding logs: a request at time ``t`` counts in a window of ``span``
milliseconds while ``now - t < span``. So at most ``limit`` admitted requests ever fall
within any half-open interval of ``span`` milliseconds.

**Reservations** expire ``reservation_ttl_ms`` after they are made: a replica that crashed
between ``admit`` and ``settle`` holds budget for that long at most. A settle that comes
after its reservation expired still adds the real cost to the spend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

NANO_PER_USD = 1_000_000_000


def to_nano(usd: float) -> int:
    """US dollars as whole nano-dollars (never negative)."""
    return max(0, round(usd * NANO_PER_USD))


def to_usd(nano: int) -> float:
    """Nano-dollars back to US dollars."""
    return nano / NANO_PER_USD


class StoreUnavailable(Exception):
    """The store could not be reached or did not answer; the caller applies its policy."""


@dataclass(frozen=True, slots=True)
class Window:
    """A sliding window of ``span_ms`` allowing ``limit`` requests, logged under ``key``."""

    key: str
    span_ms: int
    limit: int


@dataclass(frozen=True, slots=True)
class BudgetSlot:
    """One budget counter (a token's or a brand's, for one billing period).

    ``hard`` budgets refuse a request whose worst case does not fit under ``cap_nano``;
    soft ones only report. ``expire_at_ms`` (epoch) is when the store may forget the
    counter: after the period has ended, with a grace for late settles.
    """

    key: str
    cap_nano: int
    hard: bool
    expire_at_ms: int


@dataclass(frozen=True, slots=True)
class AdmitRequest:
    """Everything one ``admit`` checks and, if admitted, records."""

    member: str
    windows: tuple[Window, ...]
    budgets: tuple[BudgetSlot, ...]
    amount_nano: int
    reservation_ttl_ms: int


@dataclass(frozen=True, slots=True)
class WindowState:
    """A window as the request left it.

    ``count``: requests in the window, this one included when admitted. ``reset_ms``:
    milliseconds until the oldest of them leaves the window (frees a slot).
    """

    count: int
    reset_ms: int


@dataclass(frozen=True, slots=True)
class BudgetState:
    """A budget before this request: settled spend and open reservations."""

    spent_nano: int
    reserved_nano: int


@dataclass(frozen=True, slots=True)
class AdmitResult:
    """The answer of ``admit``: refused by the first full window or hard budget, if any.

    ``refused_window`` / ``refused_budget`` index ``AdmitRequest.windows`` / ``.budgets``.
    States are given for every window and budget, refused or not.
    """

    refused_window: int | None
    refused_budget: int | None
    windows: tuple[WindowState, ...]
    budgets: tuple[BudgetState, ...]

    @property
    def admitted(self) -> bool:
        return self.refused_window is None and self.refused_budget is None


class CounterStore(Protocol):
    """Rate windows and budget counters. Every method raises :class:`StoreUnavailable`
    when the store cannot answer; none of them retries."""

    async def admit(self, request: AdmitRequest) -> AdmitResult:
        """Check every window and budget; if all allow it, record and reserve atomically."""
        ...

    async def peek(self, windows: Sequence[Window]) -> tuple[WindowState, ...]:
        """Each window as it stands now, recording nothing: for the ``X-RateLimit-*`` of
        answers that do not count as requests (reads of usage, traces, the catalog)."""
        ...

    async def settle(self, budgets: Sequence[BudgetSlot], member: str, actual_nano: int) -> None:
        """Replace ``member``'s reservation in each budget by the real cost."""
        ...

    async def release(self, budgets: Sequence[BudgetSlot], member: str) -> None:
        """Drop ``member``'s reservation in each budget (the request failed)."""
        ...

    async def seed(self, budget: BudgetSlot, spent_nano: int) -> None:
        """Raise the budget's spend to at least ``spent_nano`` (from the ledger)."""
        ...

    async def close(self) -> None: ...

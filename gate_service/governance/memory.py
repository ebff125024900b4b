"""The in-process counter store, for the embedded default (one gateway process).

**Exactness**: every method does all its reading and writing without an ``await`` in
between, so on one event loop no other request can run between the check and the record;
each ``admit`` is atomic with respect to every other one. (It is not thread-safe: use it
from one event loop, as the core does.) Counts are exact within the process; several
processes each counting their own share would not be, which is what the Redis store is for.

Spend does not survive a restart here: the governor seeds each period's spend from the
ledger the first time it is used.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gate_service.governance.store import (
    AdmitRequest,
    AdmitResult,
    BudgetSlot,
    BudgetState,
    Window,
    WindowState,
)

# Forget idle windows and ended budgets every this many admissions.
_SWEEP_EVERY = 1024


@dataclass(slots=True)
class _Log:
    """A window's admitted request times (ms), oldest first."""

    span_ms: int
    times: deque[int] = field(default_factory=deque)

    def trim(self, now_ms: int) -> None:
        cutoff = now_ms - self.span_ms
        while self.times and self.times[0] <= cutoff:
            self.times.popleft()

    def reset_ms(self, now_ms: int) -> int:
        return self.times[0] + self.span_ms - now_ms if self.times else self.span_ms


@dataclass(slots=True)
class _Budget:
    """A budget counter: settled spend, open reservations (member -> amount, expiry), and
    a heap of (expiry, member) so expiring them costs O(log n), not a scan."""

    expire_at_ms: int
    spent: int = 0
    reserved: int = 0
    reservations: dict[str, tuple[int, int]] = field(default_factory=dict)
    expiries: list[tuple[int, str]] = field(default_factory=list)

    def reserve(self, member: str, amount: int, until_ms: int) -> None:
        self.reservations[member] = (amount, until_ms)
        self.reserved += amount
        if len(self.expiries) > 2 * len(self.reservations) + 1024:
            # Mostly settled entries: rebuild from the open reservations (amortised O(1)).
            self.expiries = [(until, m) for m, (_, until) in self.reservations.items()]
            heapq.heapify(self.expiries)
        else:
            heapq.heappush(self.expiries, (until_ms, member))

    def expire(self, now_ms: int) -> None:
        while self.expiries and self.expiries[0][0] <= now_ms:
            _, member = heapq.heappop(self.expiries)
            self.drop(member)  # a no-op if it was settled or released already

    def drop(self, member: str) -> None:
        amount, _ = self.reservations.pop(member, (0, 0))
        self.reserved -= amount


class MemoryCounterStore:
    """:class:`~gate_service.governance.store.CounterStore` in this process's memory.

    ``clock`` gives epoch seconds (injected by tests to cross window boundaries). A clock
    that steps backwards is held at its latest value so windows stay ordered.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._last_ms = 0
        self._logs: dict[str, _Log] = {}
        self._budgets: dict[str, _Budget] = {}
        self._admits = 0

    def _now_ms(self) -> int:
        self._last_ms = max(self._last_ms, int(self._clock() * 1000))
        return self._last_ms

    def _budget(self, slot: BudgetSlot) -> _Budget:
        budget = self._budgets.get(slot.key)
        if budget is None:
            budget = self._budgets[slot.key] = _Budget(slot.expire_at_ms)
        return budget

    async def admit(self, request: AdmitRequest) -> AdmitResult:
        now = self._now_ms()
        self._admits += 1
        if self._admits % _SWEEP_EVERY == 0:
            self._sweep(now)
        logs = []
        refused_window: int | None = None
        for i, window in enumerate(request.windows):
            log = self._logs.get(window.key)
            if log is None or log.span_ms != window.span_ms:
                log = self._logs[window.key] = _Log(window.span_ms)
            log.trim(now)
            logs.append(log)
            if refused_window is None and len(log.times) >= window.limit:
                refused_window = i
        budgets = []
        states = []
        refused_budget: int | None = None
        for j, slot in enumerate(request.budgets):
            budget = self._budget(slot)
            budget.expire(now)
            budgets.append(budget)
            states.append(BudgetState(budget.spent, budget.reserved))
            over = budget.spent + budget.reserved + request.amount_nano > slot.cap_nano
            if slot.hard and over and refused_budget is None:
                refused_budget = j
        if refused_window is None and refused_budget is None:
            for log in logs:
                log.times.append(now)
            until = now + request.reservation_ttl_ms
            for slot, budget in zip(request.budgets, budgets, strict=True):
                budget.reserve(request.member, request.amount_nano, until)
                budget.expire_at_ms = max(budget.expire_at_ms, slot.expire_at_ms)
        return AdmitResult(
            refused_window=refused_window,
            refused_budget=refused_budget,
            windows=tuple(WindowState(len(log.times), log.reset_ms(now)) for log in logs),
            budgets=tuple(states),
        )

    async def peek(self, windows: Sequence[Window]) -> tuple[WindowState, ...]:
        now = self._now_ms()
        states = []
        for window in windows:
            log = self._logs.get(window.key)
            if log is None or log.span_ms != window.span_ms:
                states.append(WindowState(0, window.span_ms))
                continue
            log.trim(now)  # only forgets what has left the window: admit would too
            states.append(WindowState(len(log.times), log.reset_ms(now)))
        return tuple(states)

    async def settle(self, budgets: Sequence[BudgetSlot], member: str, actual_nano: int) -> None:
        for slot in budgets:
            budget = self._budget(slot)
            budget.drop(member)
            budget.spent += actual_nano

    async def release(self, budgets: Sequence[BudgetSlot], member: str) -> None:
        for slot in budgets:
            budget = self._budgets.get(slot.key)
            if budget is not None:
                budget.drop(member)

    async def seed(self, budget: BudgetSlot, spent_nano: int) -> None:
        counter = self._budget(budget)
        counter.spent = max(counter.spent, spent_nano)

    async def close(self) -> None:
        self._logs.clear()
        self._budgets.clear()

    def _sweep(self, now_ms: int) -> None:
        """Drop windows with nothing left in them and budgets whose period is long over."""
        idle = [
            key
            for key, log in self._logs.items()
            if not log.times or log.times[-1] + log.span_ms <= now_ms
        ]
        for key in idle:
            del self._logs[key]
        for key in [k for k, b in self._budgets.items() if b.expire_at_ms <= now_ms]:
            del self._budgets[key]

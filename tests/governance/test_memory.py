"""What only the in-memory store has to care about: its own memory."""

from __future__ import annotations

from gate_service.governance.memory import MemoryCounterStore
from gate_service.governance.store import AdmitRequest, BudgetSlot, Window
from tests.governance.conftest import Clock

SLOT = BudgetSlot("b", cap_nano=10**12, hard=True, expire_at_ms=10**15)


async def test_settled_reservations_do_not_pile_up() -> None:
    store = MemoryCounterStore(Clock())
    for i in range(5000):
        await store.admit(AdmitRequest(f"m{i}", (), (SLOT,), 1, 900_000))
        await store.settle((SLOT,), f"m{i}", 1)
    budget = store._budgets["b"]
    assert budget.spent == 5000 and budget.reserved == 0
    assert len(budget.expiries) <= 1024 + 2


async def test_idle_windows_and_ended_budgets_are_forgotten() -> None:
    clock = Clock()
    store = MemoryCounterStore(clock)
    old = BudgetSlot("old", cap_nano=10, hard=True, expire_at_ms=int(clock.now * 1000) + 1)
    await store.admit(AdmitRequest("x", (Window("w", 60_000, 5),), (old,), 1, 1000))
    clock.advance(61)
    for i in range(1024):  # the sweep runs every 1024 admissions
        await store.admit(AdmitRequest(f"y{i}", (), (), 0, 1000))
    assert "w" not in store._logs and "old" not in store._budgets

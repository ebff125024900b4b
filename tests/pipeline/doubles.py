"""What the pipeline's tests (and the services' over it) count with: the real in-memory
governor remembering how each admission ended, and a ledger that keeps its records in a
list (the ledger's own writer is tested apart)."""

from __future__ import annotations

from gate_service.governance.admission import Admission
from gate_service.governance.governor import CountingGovernor
from gate_service.governance.memory import MemoryCounterStore
from gate_service.ledger import RequestRecord


class CountedGovernor(CountingGovernor):
    """The real in-memory governor, remembering how each admission ended."""

    def __init__(self) -> None:
        super().__init__(MemoryCounterStore(), None)
        self.endings: list[tuple[str, float]] = []

    async def settle(self, admission: Admission, actual_usd: float) -> None:
        self.endings.append(("settle", actual_usd))
        await super().settle(admission, actual_usd)

    async def release(self, admission: Admission) -> None:
        self.endings.append(("release", 0.0))
        await super().release(admission)


class ListLedger:
    """A ledger that keeps its entries in a list."""

    def __init__(self) -> None:
        self.entries: list[RequestRecord] = []

    def record(self, entry: RequestRecord) -> None:
        self.entries.append(entry)

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    @property
    def queue_depth(self) -> int:
        return 0

    @property
    def dropped(self) -> int:
        return 0

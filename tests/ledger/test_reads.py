"""The read gate (gate_service/ledger/reads.py): reads one at a time, at most ``share`` of
the time in a loop, and a page's few reads back to back (the burst allowance)."""

from __future__ import annotations

import asyncio

import pytest

from gate_service.ledger.reads import ReadGate


class Clock:
    """Time that moves only when a read runs or the gate sleeps (the gate's own clock and
    sleep: patching ``asyncio.sleep`` instead would also catch other threads' sleeps)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def read(self, took: float) -> float:
        self.now += took
        return took

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_pages_reads_run_back_to_back(clock: Clock) -> None:
    """Two reads of 0.15 s and 0.02 s (a 30-day overview's report and fallback sample): the
    second does not wait the first's 1.35 s of rest, which the burst covers."""
    gate = ReadGate(0.1, burst_s=2.0, clock=clock, sleep=clock.sleep)

    async def page() -> None:
        await gate.run(clock.read, 0.15)
        await gate.run(clock.read, 0.02)

    asyncio.run(page())
    gate.close()
    assert clock.slept == []


def test_readers_in_a_loop_get_their_share_and_no_more(clock: Clock) -> None:
    """Reads of 0.1 s in a loop: once the burst is spent, each waits 9× its length, so
    over a long run reads take a tenth of the time (plus the one burst)."""
    gate = ReadGate(0.1, burst_s=2.0, clock=clock, sleep=clock.sleep)
    start = clock.now

    async def loop() -> None:
        for _ in range(200):
            await gate.run(clock.read, 0.1)

    asyncio.run(loop())
    gate.close()
    assert clock.slept[-1] == pytest.approx(0.9)
    reading = 200 * 0.1
    # The burst lets ~burst/9 s of reads through without rest: the share is 10 % after it.
    assert reading / (clock.now - start) == pytest.approx(0.1, rel=0.02)


def test_without_a_burst_each_read_waits_the_previous_rest(clock: Clock) -> None:
    gate = ReadGate(0.1, burst_s=0.0, clock=clock, sleep=clock.sleep)

    async def two() -> None:
        await gate.run(clock.read, 0.1)
        await gate.run(clock.read, 0.1)

    asyncio.run(two())
    gate.close()
    assert clock.slept == [pytest.approx(0.9)]

"""The stop signals and the drain before the listeners close (gate_service/cli/stopping.py)."""

from __future__ import annotations

import asyncio
import time

from gate_service.cli.stopping import StopSignals, drain_first


def test_the_first_signal_starts_stopping_a_later_one_hurries() -> None:
    signals = StopSignals()
    signals()
    assert signals.first.is_set() and not signals.again.is_set()
    signals()
    assert signals.again.is_set()


async def test_not_ready_first_then_serving_until_the_delay_ends() -> None:
    turned: list[str] = []

    async def grpc_health() -> None:
        turned.append("grpc")

    said: list[str] = []
    signals = StopSignals()
    signals()
    started = time.monotonic()
    await drain_first([grpc_health, lambda: turned.append("ready")], 0.2, signals, said.append)
    assert turned == ["grpc", "ready"]
    assert time.monotonic() - started >= 0.2
    assert said and "0.2 s (--drain-delay)" in said[0]


async def test_a_second_signal_ends_the_delay() -> None:
    signals = StopSignals()
    signals()
    waiting = asyncio.Event()
    draining = asyncio.create_task(
        drain_first([], 600, signals, lambda _: waiting.set())  # said once it waits
    )
    await asyncio.wait_for(waiting.wait(), 5)
    assert not draining.done()
    signals()
    await asyncio.wait_for(draining, 5)


async def test_no_delay_no_wait_but_still_not_ready() -> None:
    said: list[str] = []
    turned: list[str] = []
    signals = StopSignals()
    signals()
    await asyncio.wait_for(
        drain_first([lambda: turned.append("ready")], 0, signals, said.append), 1
    )
    assert turned == ["ready"] and said == []

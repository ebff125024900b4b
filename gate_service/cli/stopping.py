"""How ``spidergate serve`` stops: the signals, and the drain before the listeners close.

A rolling restart behind a load balancer loses nothing only if the balancer stops
sending a replica requests *before* the replica stops accepting them. The balancer learns
it from a health check (``GET /ready``, gRPC health), which it asks every so often
(HAProxy: ``inter``; Kubernetes: ``periodSeconds``). So on SIGTERM the process first
says it is not ready, and keeps serving for ``--drain-delay`` seconds while the balancer
notices; only then does it close its listeners and give what is in flight the grace
(:func:`gate_service.cli.serve._serve`). A second signal ends the delay early (a person
at a terminal pressing Ctrl-C twice).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


class StopSignals:
    """Installed as the handler of SIGTERM and SIGINT: the first sets :attr:`first`
    (start stopping), any later one :attr:`again` (skip what is left of the drain)."""

    def __init__(self) -> None:
        self.first = asyncio.Event()
        self.again = asyncio.Event()

    def __call__(self) -> None:
        (self.again if self.first.is_set() else self.first).set()


async def drain_first(
    not_ready: list[Callable[[], Awaitable[None] | None]],
    delay_s: float,
    signals: StopSignals,
    say: Callable[[str], None],
) -> None:
    """Turn every readiness signal to "not ready" (``not_ready``: the bridge's ``/ready``,
    the core's gRPC health), then keep serving for ``delay_s`` seconds, or until a second
    signal."""
    for turn in not_ready:
        done = turn()
        if done is not None:
            await done
    if delay_s <= 0 or signals.again.is_set():
        return
    say(
        f"draining: not ready, still serving for {delay_s:g} s (--drain-delay) "
        "before the listeners close; signal again to skip"
    )
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(signals.again.wait(), delay_s)

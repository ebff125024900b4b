"""A request's overall deadline, and the one handle that ends its upstream waits early.

Per-attempt timeouts (``upstream_timeout_s``, ``spidergate_options.timeout_ms``) bound one
call to one provider; nothing bounded the request as a whole, so an upstream that never
answered held a client for four attempts of 120 s before a 502, and a stream sent nothing
all that time. A :class:`Deadline` is that whole bound, shared by every attempt:

- **Non-streaming**: the answer must be complete within ``request_deadline_s`` (or the
  gRPC caller's own, shorter deadline); then 504 ``upstream_timeout``.
- **Streaming**: the first chunk must come within it; once a chunk went out the deadline
  no longer applies (a long answer may stream for minutes) and only the per-attempt idle
  timeout between two events remains.

Every upstream wait (connecting, the answer, each stream read) runs inside an
``asyncio.timeout`` of ``min(per-attempt timeout, time left)`` and registers that scope
here while it waits, so :meth:`end` can also stop a request *now*: shutdown uses it to end
the requests still in flight when the grace period is over, with a reason the ledger
records. Nothing spans a ``yield``: a scope covers one await on the upstream only, so a
stream handed from one task to another (Starlette runs the body in a task of its own)
is never cancelled in the wrong task.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from types import TracebackType

SHUTDOWN = "shutdown"
DEADLINE = "deadline"


class Deadline:
    """The time left to a request, and the scopes of its upstream waits in progress."""

    __slots__ = ("_at", "_clock", "_scopes", "budget_s", "ended")

    def __init__(
        self, budget_s: float | None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self.budget_s = budget_s
        self._at = None if budget_s is None else clock() + budget_s
        # Why the request was ended early (SHUTDOWN), if it was.
        self.ended: str | None = None
        self._scopes: set[asyncio.Timeout] = set()

    def bound(self, timeout_s: float) -> float:
        """The timeout for the next upstream wait: the attempt's own, or less when the
        request has less time left (0 once it ended)."""
        if self.ended is not None:
            return 0.0
        if self._at is None:
            return timeout_s
        return min(timeout_s, self._at - self._clock())

    @property
    def expired(self) -> bool:
        """Whether the request is out of time (or was ended)."""
        return self.ended is not None or (self._at is not None and self._clock() >= self._at)

    @property
    def reason(self) -> str | None:
        """``SHUTDOWN``, ``DEADLINE`` or None while the request still has time."""
        if self.ended is not None:
            return self.ended
        return DEADLINE if self.expired else None

    def first_chunk_sent(self) -> None:
        """A stream has started: from now on only the per-attempt timeouts apply."""
        self._at = None

    def wait(self, timeout_s: float) -> _Wait:
        """``async with deadline.wait(t):`` one upstream wait of at most ``t`` seconds,
        less if the request has less left; raises ``TimeoutError`` when either runs out
        or the request is ended."""
        return _Wait(self, timeout_s)

    def end(self, reason: str) -> None:
        """End the request's upstream waits now: the wait in progress raises its
        timeout at once, and every later one gets no time at all."""
        self.ended = reason
        now = asyncio.get_running_loop().time()
        for scope in list(self._scopes):
            # A scope whose own timeout already fired is on its way out: leave it be.
            with contextlib.suppress(RuntimeError):
                scope.reschedule(now)


class _Wait:
    """An ``asyncio.timeout`` scope that :meth:`Deadline.end` can fire early. A small
    class rather than a generator-based context manager: it runs once per stream read."""

    __slots__ = ("_deadline", "_scope", "_timeout_s")

    def __init__(self, deadline: Deadline, timeout_s: float) -> None:
        self._deadline = deadline
        self._timeout_s = timeout_s
        self._scope: asyncio.Timeout | None = None

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        scope = asyncio.Timeout(loop.time() + self._deadline.bound(self._timeout_s))
        await scope.__aenter__()
        self._scope = scope
        self._deadline._scopes.add(scope)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        scope = self._scope
        assert scope is not None
        self._deadline._scopes.discard(scope)
        # Turns the cancellation of an expired wait into TimeoutError.
        await scope.__aexit__(exc_type, exc, tb)


def unbounded() -> Deadline:
    """A deadline that never expires (tools and tests that call the router directly)."""
    return Deadline(None)

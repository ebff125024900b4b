"""Spreading a bridge's calls over several cores (``serve bridge --core A,B``).

Calls go round-robin over the cores whose channel is READY or IDLE and that have not
failed recently. A core whose call fails with a transport-level UNAVAILABLE (no
``ErrorDetail``: the core itself never said it) is skipped for ``skip_s`` seconds.

**Retries** happen at most once, on another core, and only for a call that cannot have
reached the first one, so a chat completion is never run (and paid for) twice. gRPC gives
no flag for that; two facts together stand for it: the channel was not READY when the call
started (the call had to open a connection), and right after the failure the channel is in
TRANSIENT_FAILURE (opening it failed). A core dying mid-call leaves its channel IDLE
instead, and a call on a READY channel may have been delivered: neither is retried, the
client gets the 503. A streaming call is retried the same way, before its first message
only; once a message has arrived, a failure ends the stream.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf.descriptor import MethodDescriptor

SKIP_S = 3.0
_USABLE = (grpc.ChannelConnectivity.READY, grpc.ChannelConnectivity.IDLE)
_DETAILS_KEY = "grpc-status-details-bin"


@dataclass
class Core:
    """One core: its address, its channel and its stubs by service attribute name."""

    target: str
    channel: grpc.aio.Channel
    stubs: dict[str, Any]
    skipped_until: float = field(default=float("-inf"))

    def state(self) -> grpc.ChannelConnectivity:
        return self.channel.get_state(try_to_connect=False)


def _from_core(error: grpc.aio.AioRpcError) -> bool:
    """Whether the core itself answered (every core error carries an ErrorDetail)."""
    return any(key == _DETAILS_KEY for key, _ in error.trailing_metadata() or ())


class Pool:
    """Picks cores round-robin and keeps track of the ones failing."""

    def __init__(
        self,
        cores: Sequence[Core],
        *,
        skip_s: float = SKIP_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not cores:
            raise ValueError("at least one core is needed")
        self.cores = list(cores)
        self._skip_s = skip_s
        self._clock = clock
        self._next = 0

    def pick(self, exclude: Core | None = None) -> Core | None:
        """The next usable core; failing that the next one not skipped (it may be
        reconnecting); failing that the one skipped longest ago. None when ``exclude`` is
        the only core."""
        now = self._clock()
        order = [self.cores[(self._next + i) % len(self.cores)] for i in range(len(self.cores))]
        self._next = (self._next + 1) % len(self.cores)
        candidates = [c for c in order if c is not exclude]
        if not candidates:
            return None
        awake = [c for c in candidates if c.skipped_until <= now]
        for core in awake:
            if core.state() in _USABLE:
                return core
            # Nudge a core that is down so it rejoins as soon as it is back.
            core.channel.get_state(try_to_connect=True)
        if awake:
            return awake[0]
        return min(candidates, key=lambda c: c.skipped_until)

    def failed(self, core: Core, error: grpc.aio.AioRpcError, was_ready: bool) -> Core | None:
        """Note a failed call; the core to retry it on, or None when it must not be."""
        if error.code() != grpc.StatusCode.UNAVAILABLE or _from_core(error):
            return None
        core.skipped_until = self._clock() + self._skip_s
        if was_ready or core.state() != grpc.ChannelConnectivity.TRANSIENT_FAILURE:
            return None  # it may have reached the core
        return self.pick(exclude=core)


class UnaryMethod:
    """A unary method spread over the pool, with at most one retry."""

    def __init__(self, pool: Pool, service: str, method: str) -> None:
        self._pool, self._service, self._method = pool, service, method

    def _callable(self, core: Core) -> Any:
        return getattr(core.stubs[self._service], self._method)

    async def __call__(self, request: Any, **kwargs: Any) -> Any:
        core = self._pool.pick()
        assert core is not None
        was_ready = core.state() == grpc.ChannelConnectivity.READY
        try:
            return await self._callable(core)(request, **kwargs)
        except grpc.aio.AioRpcError as error:
            other = self._pool.failed(core, error, was_ready)
            if other is None:
                raise
        return await self._callable(other)(request, **kwargs)


class StreamCall:
    """What the bridge uses of a server-streaming call (``read``, ``cancel``), started on
    the first ``read`` so that a call that never reached its core can move to another."""

    def __init__(self, method: StreamMethod, request: Any, kwargs: dict[str, Any]) -> None:
        self._method, self._request, self._kwargs = method, request, kwargs
        self._call: Any = None
        self._cancelled = False

    def _start(self, core: Core) -> Any:
        self._call = self._method.callable(core)(self._request, **self._kwargs)
        return self._call

    async def read(self) -> Any:
        if self._call is not None:
            return await self._call.read()
        pool = self._method.pool
        core = pool.pick()
        assert core is not None
        was_ready = core.state() == grpc.ChannelConnectivity.READY
        try:
            return await self._start(core).read()
        except grpc.aio.AioRpcError as error:
            other = pool.failed(core, error, was_ready)
            if other is None or self._cancelled:
                raise
        return await self._start(other).read()

    def cancel(self) -> bool:
        self._cancelled = True
        return bool(self._call.cancel()) if self._call is not None else True


class StreamMethod:
    """A server-streaming method spread over the pool."""

    def __init__(self, pool: Pool, service: str, method: str) -> None:
        self.pool, self._service, self._method = pool, service, method

    def callable(self, core: Core) -> Any:
        return getattr(core.stubs[self._service], self._method)

    def __call__(self, request: Any, **kwargs: Any) -> StreamCall:
        return StreamCall(self, request, kwargs)


class UploadMethod(UnaryMethod):
    """A client-streaming method (an upload) spread over the pool, never retried: its
    request iterator may have been read by the failed call, and cannot be read again."""

    async def __call__(self, request: Any, **kwargs: Any) -> Any:
        core = self._pool.pick()
        assert core is not None
        was_ready = core.state() == grpc.ChannelConnectivity.READY
        try:
            return await self._callable(core)(request, **kwargs)
        except grpc.aio.AioRpcError as error:
            self._pool.failed(core, error, was_ready)  # noted, not retried
            raise


class Service:
    """Stands in for one service's stub: each method of its descriptor spread over the
    pool, a ``StreamMethod`` where the descriptor says ``server_streaming``, an
    ``UploadMethod`` where it says ``client_streaming``."""

    def __init__(self, pool: Pool, service: str, methods: Sequence[MethodDescriptor]) -> None:
        for method in methods:
            kind: type[UnaryMethod | StreamMethod] = UnaryMethod
            if method.server_streaming:
                kind = StreamMethod
            elif method.client_streaming:
                kind = UploadMethod
            setattr(self, method.name, kind(pool, service, method.name))

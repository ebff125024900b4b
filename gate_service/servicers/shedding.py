"""Load shedding in the core's gRPC server (``spidergate serve core``).

A wrapper around each method's handler bounds the calls the server runs at once to
``Settings.max_concurrent_requests``; past it a call is aborted at once with the catalogue's
``overloaded`` (gRPC UNAVAILABLE with its ErrorDetail, so a bridge in front answers the
same 503 with ``Retry-After`` as its own shedding, and does not retry it on another core:
the core answered). The check runs when the call's handler starts, after the request
message was read and before authentication or any other work. A server-streaming call
counts until its stream ends.

Never counted, never refused: gRPC health checking, reflection, and the catalog's
``GetHealth`` (what the bridge's ``/health`` asks), so an orchestrator sees a busy core as
alive. Calls that reach the servicers in-process (``spidergate serve``: see
``servicers/inprocess.py``) do not pass through the server, so the bridge's own bound
(``bridge/shedding.py``) is the only one they count against: a request counts once.

The bounded handlers are built once per method when the server is built (the server's
handler table, ``gate_service/handler_table.py``, asks :meth:`ConcurrencyLimit.bound` for
each): per call, an integer compare and two additions. It was a server interceptor
before, which grpc.aio runs on every call (two coroutines and a ``functools.partial``).
In-process calls (``spidergate serve``'s bridge) never pass through it.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from gate_service.overload import overloaded
from gate_service.servicers.common import abort

EXEMPT_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
    "/spidergate.v1.CatalogService/GetHealth",
)


class ConcurrencyLimit:
    """At most ``limit`` calls at once; the rest get ``overloaded`` before any work."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the bound on concurrent requests must be at least 1")
        self.limit = limit
        self.in_flight = 0

    def bound(self, method: str, handler: Any) -> Any:
        """``handler`` (a ``grpc.RpcMethodHandler``) counted against the bound, unless
        ``method`` is exempt."""
        if method.startswith(EXEMPT_PREFIXES):
            return handler
        return self._bound(handler)

    def _bound(self, handler: Any) -> Any:
        if handler.unary_unary is not None:
            return handler._replace(unary_unary=self._unary(handler.unary_unary))
        if handler.unary_stream is not None and inspect.isasyncgenfunction(handler.unary_stream):
            return handler._replace(unary_stream=self._stream(handler.unary_stream))
        return handler  # client-streaming methods: none of ours

    def _unary(self, behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def bounded(request: Any, context: grpc.aio.ServicerContext) -> Any:
            if self.in_flight >= self.limit:
                await abort(context, overloaded())
            self.in_flight += 1
            try:
                return await behavior(request, context)
            finally:
                self.in_flight -= 1

        return bounded

    def _stream(self, behavior: Callable[..., AsyncIterator[Any]]) -> Callable[..., Any]:
        async def bounded(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            if self.in_flight >= self.limit:
                await abort(context, overloaded())
            self.in_flight += 1
            try:
                async for item in behavior(request, context):
                    yield item
            finally:
                self.in_flight -= 1

        return bounded

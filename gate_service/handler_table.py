"""The gRPC server's method handlers in one table: one dict lookup per call.

Why not register the generated ``add_*Servicer_to_server`` on the server itself: since
grpcio 1.6x they register every method as a *registered method* too, and grpc.aio's
server then keeps one pending "request call" task per registered method, waiting for the
next call with ``asyncio.wait`` over all of them. With our 65 methods plus health and
reflection, every turn of its accept loop adds and removes ~70 done callbacks and builds
sets of 70. Registered through this one generic handler, the server waits on a single
pending call. Measured with ``bench/run.py``'s gRPC mode (16 in flight, gateway pinned to
one core, 3 interleaved runs each): 987 -> 1,031 calls/s (+4.5%).

The load-shedding bound (``servicers/shedding.py``) is applied here, once per method as
the server is built, instead of as a server interceptor (which costs two coroutines and
a ``functools.partial`` on every call).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import grpc

Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"


class HandlerTable(grpc.GenericRpcHandler):
    """Takes the place of the server in the generated ``add_*Servicer_to_server`` (the
    two methods they call), then is the server's one generic handler."""

    def __init__(self, bound: Callable[[str, Handler], Handler]) -> None:
        self._bound = bound
        self._handlers: dict[str, Handler] = {}
        self._generic: list[grpc.GenericRpcHandler] = []

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        """Kept only as a fallback: the generated code registers the same handlers by
        name right after (``add_registered_method_handlers``)."""
        self._generic.extend(handlers)

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Handler]) -> None:
        for name, handler in handlers.items():
            method = f"/{service}/{name}"
            self._handlers[method] = self._bound(method, handler)

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> Handler | None:
        method: str = handler_call_details.method
        handler = self._handlers.get(method)
        if handler is None:
            # A method registered only generically (no generated code of ours does that):
            # found once, bounded and remembered. An unknown method stays None (UNIMPLEMENTED).
            for generic in self._generic:
                found = generic.service(handler_call_details)
                if found is not None:
                    handler = self._handlers[method] = self._bound(method, found)
                    break
        return handler

    def methods(self) -> tuple[str, ...]:
        """The methods registered by name (for tests)."""
        return tuple(self._handlers)

"""How the bridge answers errors: exception handlers the app registers once (Starlette's
way), so that route handlers raise and never catch. Every answer is the documented
envelope with the request's id:

- ``grpc.aio.AioRpcError``: the core's refusal, its reason read back from the status
  details, answered as is.
- ``CoreError``: a ``GateError`` that stands for the core's answer (a stream that ended
  before its first chunk, a core not serving ``/health``), answered as is. The core has
  authenticated the caller already, or cannot: asking it again would cost a call and add
  headers the core did not give.
- any other ``GateError``: found by the bridge before the core was asked (a body that is
  not JSON, a bad query, an Authorization header gRPC cannot carry), answered by the
  matched route's ``refusal`` (:mod:`bridge.routing`): :func:`needs_token` and
  :func:`public` go through :func:`bridge.precheck.refuse` (the caller's 401 before the
  bridge's 400, with the token's ``X-RateLimit-*``); the vault has its own; a route
  without one (or none matched) answers as is.
- ``HTTPException`` (no route, a method not allowed): 404 ``not_found``, 405.
- anything else: 500 ``internal_error``, never Starlette's plain-text page (the server
  still logs the traceback).

A stream's error after its first event never gets here (the response has started):
:mod:`bridge.chat` writes it as one error event, then ``[DONE]``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import grpc
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from bridge.precheck import refuse
from bridge.responses import error_response, request_id
from bridge.routing import GateRoute
from gate_service.errors import GateError
from gate_service.proto_convert.errors import from_rpc_error


class CoreError(GateError):
    """A ``GateError`` that is (or stands for) the core's answer: sent as is, never
    checked against the caller's credential again."""


async def as_is(request: Request, error: GateError, rid: str) -> Response:
    """The error itself, nothing asked of the core."""
    return error_response(error, rid)


async def needs_token(request: Request, error: GateError, rid: str) -> Response:
    """On a route that needs a token: a request without one gets 401 before any 400."""
    return await refuse(request, error, rid)


async def public(request: Request, error: GateError, rid: str) -> Response:
    """On a public route: a token is checked only when sent."""
    return await refuse(request, error, rid, public=True)


async def _bridge_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GateError)
    route = request.scope.get("route")
    refusal = route.refusal if isinstance(route, GateRoute) else as_is
    return await refusal(request, exc, request_id(request))


async def _core_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CoreError)
    return error_response(exc, request_id(request))


async def _rpc_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, grpc.aio.AioRpcError)
    return error_response(from_rpc_error(exc), request_id(request))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        error = GateError("invalid_request", f"Method {request.method} is not allowed here.")
        error.status = 405
        # HTTP requires the methods that are allowed (Starlette computed them).
        error.headers = dict(exc.headers or {})
    else:
        error = GateError("not_found", f"No route {request.url.path}.")
    return error_response(error, request_id(request))


async def _internal_error(request: Request, exc: Exception) -> Response:
    error = GateError("internal_error", "Internal error in the gateway bridge.")
    return error_response(error, request_id(request))


Handler = Callable[[Request, Exception], Coroutine[Any, Any, Response]]
# Starlette picks the handler of the first class in the exception's MRO: CoreError's
# before GateError's.
HANDLERS: dict[Any, Handler] = {
    HTTPException: _http_error,
    CoreError: _core_error,
    GateError: _bridge_error,
    grpc.aio.AioRpcError: _rpc_error,
    Exception: _internal_error,
}

"""How the bridge answers errors: exception handlers the app registers once (Starlette's
way), so that route handlers raise and never catch. Every answer is the documented
envelope with the request's id:

- ``grpc.aio.AioRpcError``: the core's refusal, its reason read back from the status
  details, answered as is.
- ``GateError`` (including the ones that stand for the core's answer: a stream that
  ended before its first chunk, a core not serving ``/health``): answered as is. The
  bridge finds no 400 of its own: a body or query string it cannot type goes to the core
  as is (:mod:`bridge.body`, :mod:`bridge.query`), which answers it after authentication,
  in the route's one call. What is left here are answers that need no credential (413
  ``request_too_large``) or are the credential's own (401 ``invalid_token_format``: an
  Authorization header gRPC cannot carry).
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

from bridge.responses import error_response, request_id
from gate_service.errors import GateError
from gate_service.proto_convert.errors import from_rpc_error


async def _gate_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GateError)
    return error_response(exc, request_id(request), request.url.path)


async def _rpc_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, grpc.aio.AioRpcError)
    return error_response(from_rpc_error(exc), request_id(request), request.url.path)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        error = GateError("invalid_request", f"Method {request.method} is not allowed here.")
        error.status = 405
        # HTTP requires the methods that are allowed (Starlette computed them).
        error.headers = dict(exc.headers or {})
    else:
        error = GateError("not_found", f"No route {request.url.path}.")
    return error_response(error, request_id(request), request.url.path)


async def _internal_error(request: Request, exc: Exception) -> Response:
    error = GateError("internal_error", "Internal error in the gateway bridge.")
    return error_response(error, request_id(request), request.url.path)


Handler = Callable[[Request, Exception], Coroutine[Any, Any, Response]]
# Starlette picks the handler of the first class in the exception's MRO.
HANDLERS: dict[Any, Handler] = {
    HTTPException: _http_error,
    GateError: _gate_error,
    grpc.aio.AioRpcError: _rpc_error,
    Exception: _internal_error,
}

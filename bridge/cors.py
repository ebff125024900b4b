"""CORS: browser clients (a chat UI, a notebook in the browser) may call the gateway from
another origin.

Starlette's ``CORSMiddleware`` does the protocol: it answers a preflight (``OPTIONS`` with
``Origin`` and ``Access-Control-Request-Method``) itself, before routing, so every path
has one, and it adds the headers to every answer sent through it. It is installed
outside load shedding and the body bound (:mod:`bridge.app`), so their 503 and 413 carry
the headers too (a browser otherwise reports a CORS failure instead of the status), and a
preflight is never counted or refused by them; it never reaches the core either, so it
needs no credential and counts against no rate limit.

- **Origins**: ``Settings.cors_origins`` (``--cors-origins``); ``*`` (the default) is any
  origin, *without* credentials: our tokens travel in ``Authorization`` / ``x-api-key``
  headers, never in cookies, so a browser has nothing ambient to send. An empty list
  turns CORS off (no origin is allowed).
- **Request headers**: the ones the preflight asks for are reflected. The SDKs send
  ``Authorization``, ``x-api-key``, ``anthropic-version``, ``OpenAI-*`` and a changing set
  of ``x-stainless-*`` headers; a fixed list would break the next SDK release.
- **Exposed headers**: the ones we answer with (:data:`EXPOSED`), so a browser client can
  read its rate limit, request id and what served it.

One gap of the plain middleware is closed here: an unexpected exception is answered by
Starlette's outermost ``ServerErrorMiddleware``, outside every user middleware, so its
500 would leave without CORS headers. :class:`_InternalErrors`, inside the CORS layer,
answers it first (the same ``internal_error`` envelope) and re-raises, so the server
still logs the traceback and sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge.responses import error_response, request_id
from gate_service.errors import GateError

# The headers our answers carry that a browser client may read (beyond the CORS-safelisted
# ones). Access-Control-Expose-Headers takes no patterns: each is named.
EXPOSED = (
    "X-Request-Id",
    "X-RateLimit-Limit-Requests",
    "X-RateLimit-Remaining-Requests",
    "X-RateLimit-Reset",
    "Retry-After",
    "X-SpiderGate-Fallback-From",
    "X-SpiderGate-Dropped-Params",
    "X-SpiderGate-Budget-Warning",
    "X-SpiderGate-Provider",
    "X-SpiderGate-Model",
    "X-SpiderGate-Cost-Usd",
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# How long a browser may reuse a preflight's answer (Chrome caps it at 2 hours).
MAX_AGE_S = 7200


class _InternalErrors:
    """Answers an unexpected exception's 500 from inside the CORS layer (see the module
    docstring), then re-raises it for the server's log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if not started:
                error = GateError("internal_error", "Internal error in the gateway bridge.")
                await error_response(error, request_id(Request(scope)))(scope, receive, tracked)
            raise


class Cors(CORSMiddleware):
    """Starlette's CORS middleware with our policy (see the module docstring)."""

    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        super().__init__(
            _InternalErrors(app),
            allow_origins=tuple(origins),
            allow_methods=METHODS,
            allow_headers=("*",),  # reflected: see the module docstring
            allow_credentials=False,
            expose_headers=EXPOSED,
            max_age=MAX_AGE_S,
        )

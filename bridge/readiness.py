"""Readiness, apart from liveness: ``GET /ready`` tells a load balancer (HAProxy's
``option httpchk``, a Kubernetes readiness probe) whether to send this process new
requests; ``GET /health`` and ``/metrics`` only say it is alive.

Why apart: on SIGTERM the process first *drains* (``spidergate serve --drain-delay``):
``/ready`` answers 503 while the listener still accepts and serves, so the balancer's
health check takes the replica out before any connection is refused; only then does the
listener close and what is in flight finish within the grace. Liveness stays 200 all
along: a draining process must not be restarted.

While draining, every answer also carries ``Connection: close``: the balancer's (or a
client's) kept-alive connections to this process end after their current answer, cleanly,
instead of being cut when the listener closes (an idle connection the balancer reuses at
that moment would lose the request it was sending).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge.catalog import health
from bridge.openapi_operations import Op
from bridge.responses import reply
from gate_service.errors import GateError


class Readiness:
    """Whether this process takes new requests: yes until :meth:`drain` (once, at
    SIGTERM); there is no way back, the process is on its way out."""

    __slots__ = ("draining",)

    def __init__(self) -> None:
        self.draining = False

    def drain(self) -> None:
        self.draining = True


async def ready(request: Request) -> Response:
    """200 while this process takes requests and a core answers through it; 503
    ``service_unavailable`` while it drains, or when no core answers."""
    readiness: Readiness = request.app.state.readiness
    if readiness.draining:
        raise GateError("service_unavailable", "The gateway is shutting down (draining).")
    await health(request)  # a core answers, or 503 service_unavailable
    return reply(request, {"status": "ready"})


class CloseWhenDraining:
    """ASGI middleware: once draining, ``Connection: close`` on every answer (uvicorn then
    closes the connection after it), so kept-alive connections leave before the listener
    closes. One attribute read per request otherwise."""

    def __init__(self, app: ASGIApp, readiness: Readiness) -> None:
        self.app = app
        self.readiness = readiness

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.readiness.draining:
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, closing)


def OPERATIONS() -> dict[Any, Op]:
    answer = {
        "type": "object",
        "properties": {"status": {"const": "ready"}},
        "required": ["status"],
    }
    return {
        ready: Op(
            "Readiness: whether to send this process requests (503 while it drains)",
            "catalog",
            answer,
            auth="none",
            errors=("service_unavailable",),
            shed=False,  # never refused at the concurrency bound
            description="For load balancers' health checks and readiness probes. 503 "
            "`service_unavailable` from SIGTERM on (the process still serves for "
            "`--drain-delay` seconds, then stops taking connections), or when no core "
            "answers. Liveness is `/health`, which stays 200 while the process drains.",
        ),
    }


# Public, no token: a health check sends none.
ROUTES = [Route("/ready", ready, methods=["GET"])]

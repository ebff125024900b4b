"""The Starlette application: the same routes under ``/api/gate/v1`` and ``/v1``.

Each bridge module declares its ``ROUTES`` next to its handlers (:mod:`bridge.routing`),
and every module of the package that has ``ROUTES`` is served (:func:`api_modules`):
adding an endpoint is a module with its handlers and routes, and nothing here.

Around the routes, outermost first: ``Connection: close`` while the process drains
(bridge/readiness.py), metrics (every answer counted, refusals too), CORS
(bridge/cors.py), load shedding (bridge/shedding.py), the body bound (bridge/body.py).
Errors end in the documented envelope wherever they come from, through the exception
handlers of :mod:`bridge.errors`: handlers raise, the app answers.

Outside the prefixes: ``/metrics``, ``/openapi.json``, the console (``/console``) and the
MCP server over Streamable HTTP (``/mcp``, :mod:`bridge.mcp_http`), whose tools call this
app's routes in-process; the lifespan runs its session manager.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
from collections.abc import AsyncIterator, Callable
from types import ModuleType
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

import bridge
from bridge import openapi
from bridge.body import BodyLimit
from bridge.console.app import create_console, secured
from bridge.core_client import CoreClient
from bridge.cors import Cors
from bridge.errors import HANDLERS
from bridge.mcp_http import METHODS as MCP_METHODS
from bridge.mcp_http import PATH as MCP_PATH
from bridge.mcp_http import McpEndpoint
from bridge.metrics import HttpMetrics, MetricsMiddleware, metrics_endpoint
from bridge.readiness import CloseWhenDraining, Readiness
from bridge.shedding import LoadShedding
from gate_service.config import Settings

PREFIXES = ("/api/gate/v1", "/v1")


# Matched first: Starlette tries routes one by one, each a regex, so the hot path goes
# ahead of the rest (behind the catalog's five it cost ~3% of the gateway's CPU).
_FIRST = ("chat",)


def api_modules() -> tuple[ModuleType, ...]:
    """The bridge's modules that declare ``ROUTES``: chat's first, then by name (the
    OpenAPI document lists their paths in this order). Found rather than listed, so that
    a new endpoint's module is served, documented and fuzzed without a line elsewhere."""
    found = []
    names = sorted(m.name for m in pkgutil.iter_modules(bridge.__path__))
    for name in sorted(names, key=lambda n: (n not in _FIRST, n)):
        module = importlib.import_module(f"bridge.{name}")
        if isinstance(getattr(module, "ROUTES", None), list):
            found.append(module)
    return tuple(found)


def module_routes() -> list[BaseRoute]:
    """Every module's routes, as mounted under each prefix."""
    return [route for module in api_modules() for route in module.ROUTES]


def upload_paths() -> frozenset[str]:
    """The paths of the routes that take file uploads (a module's ``UPLOAD_PATHS``) under
    each prefix: the body bound gives them their own limit."""
    paths = (p for m in api_modules() for p in getattr(m, "UPLOAD_PATHS", ()))
    return frozenset(prefix + path for path in paths for prefix in PREFIXES)


async def _to_console(request: Request) -> Response:
    """``GET /``: a browser that opens the gateway's address lands on the console."""
    return RedirectResponse("/console/", status_code=307)


# Never counted, never refused by load shedding: liveness, readiness and the metrics.
UNBOUNDED_PATHS = frozenset(
    {"/metrics", *(prefix + path for prefix in PREFIXES for path in ("/health", "/ready"))}
)


def create_app(
    core_target: str | None = None,
    *,
    client_factory: Callable[[], Any] | None = None,
    settings: Settings | None = None,
) -> Starlette:
    """The bridge for the core at ``core_target`` (host:port), or for the client that
    ``client_factory`` makes (the in-process channel when core and bridge share a process).
    ``settings`` gives the bounds (body size, JSON, concurrency); defaults otherwise.
    """
    settings = settings if settings is not None else Settings()
    if (core_target is None) == (client_factory is None):
        raise ValueError("give exactly one of core_target and client_factory")

    console = create_console(settings, lambda: app.state.core)
    # The MCP server over Streamable HTTP (bridge/mcp_http.py); its tools call this app.
    mcp = McpEndpoint(lambda: app)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.core = client_factory() if client_factory else CoreClient(str(core_target))
        try:
            async with mcp.running():
                yield
        finally:
            await app.state.core.close()
            console.state.sessions.close()

    http_metrics = HttpMetrics()
    # Turned to draining by `spidergate serve` at SIGTERM (bridge/readiness.py).
    readiness = Readiness()
    app = Starlette(
        routes=[
            # Prometheus scrapes the root path, outside the API prefixes.
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            *openapi.ROUTES,  # also outside the prefixes: where tools look for it
            *(Mount(prefix, routes=module_routes()) for prefix in PREFIXES),
            # The web console (bridge/console): its own app, pages rather than JSON.
            Route("/", _to_console, methods=["GET"]),
            Mount("/console", app=secured(console)),
            Route(MCP_PATH, mcp, methods=MCP_METHODS),
        ],
        exception_handlers=HANDLERS,
        middleware=[
            # Outermost: while draining, every answer closes its connection, refusals too.
            Middleware(CloseWhenDraining, readiness=readiness),
            Middleware(MetricsMiddleware, metrics=http_metrics),
            # Outside shedding and the body bound: their 503 and 413 carry CORS headers,
            # and a preflight is never counted or refused (bridge/cors.py).
            Middleware(Cors, origins=settings.cors_origins),
            Middleware(
                LoadShedding, limit=settings.max_concurrent_requests, exempt=UNBOUNDED_PATHS
            ),
            Middleware(
                BodyLimit,
                max_bytes=settings.max_body_bytes,
                max_upload_bytes=settings.max_upload_bytes,
                upload_paths=upload_paths(),
            ),
        ],
        lifespan=lifespan,
    )
    app.state.http_metrics = http_metrics
    app.state.readiness = readiness
    app.state.settings = settings
    return app

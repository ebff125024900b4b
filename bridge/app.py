"""The Starlette application: the same routes under ``/api/gate/v1`` and ``/v1``.

Around the routes, outermost first: metrics (every answer counted, refusals too), load
shedding (bridge/shedding.py), the body bound (bridge/body.py). Errors end in the
documented envelope wherever they come from: a ``GateError`` a handler did not catch is
answered as itself, anything unexpected as 500 ``internal_error`` (never Starlette's
plain-text ``Internal Server Error``), and still logged with its traceback by the server.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from bridge import catalog, chat, openapi, usage, vault
from bridge.body import BodyLimit
from bridge.core_client import CoreClient
from bridge.metrics import HttpMetrics, MetricsMiddleware, metrics_endpoint
from bridge.responses import error_response, request_id
from bridge.shedding import LoadShedding
from gate_service.config import Settings
from gate_service.errors import GateError

PREFIXES = ("/api/gate/v1", "/v1")


class _AnyPath(Convertor[str]):
    """Like Starlette's ``path``, but also across line breaks: a model id with a newline
    is an unknown model (404 ``model_not_found``), not an unknown route."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


def _routes() -> list[Route]:
    register_url_convertor("anypath", _AnyPath())  # idempotent; before the routes compile
    return [
        Route("/chat/completions", chat.chat_completions, methods=["POST"]),
        Route("/health", catalog.health, methods=["GET"]),
        Route("/models", catalog.list_models, methods=["GET"]),
        Route("/models/{model_id:anypath}", catalog.get_model, methods=["GET"]),
        Route("/aliases", catalog.list_aliases, methods=["GET"]),
        Route("/providers", catalog.list_providers, methods=["GET"]),
        Route("/vault/keys", vault.list_keys, methods=["GET"]),
        Route("/vault/keys", vault.create_key, methods=["POST"]),
        Route("/vault/keys/{key_id}", vault.get_key, methods=["GET"]),
        Route("/vault/keys/{key_id}", vault.update_key, methods=["PATCH"]),
        Route("/vault/keys/{key_id}", vault.delete_key, methods=["DELETE"]),
        Route("/vault/keys/{key_id}/deactivate", vault.deactivate_key, methods=["POST"]),
        Route("/vault/keys/{key_id}/activate", vault.activate_key, methods=["POST"]),
        Route("/vault/health", vault.health_summary, methods=["GET"]),
        Route("/usage", usage.get_usage, methods=["GET"]),
        Route("/traces", usage.list_traces, methods=["GET"]),
        Route("/traces/{trace_id}", usage.get_trace, methods=["GET"]),
        Route("/openapi.json", openapi.openapi_json, methods=["GET"]),
    ]


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


async def _gate_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GateError)
    return error_response(exc, request_id(request))


async def _internal_error(request: Request, exc: Exception) -> Response:
    error = GateError("internal_error", "Internal error in the gateway bridge.")
    return error_response(error, request_id(request))


# Never counted, never refused by load shedding.
UNBOUNDED_PATHS = frozenset({"/metrics", *(prefix + "/health" for prefix in PREFIXES)})


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

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.core = client_factory() if client_factory else CoreClient(str(core_target))
        try:
            yield
        finally:
            await app.state.core.close()

    http_metrics = HttpMetrics()
    app = Starlette(
        routes=[
            # Prometheus scrapes the root path, outside the API prefixes.
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/openapi.json", openapi.openapi_json, methods=["GET"]),
            *(Mount(prefix, routes=_routes()) for prefix in PREFIXES),
        ],
        exception_handlers={
            HTTPException: _http_error,
            GateError: _gate_error,
            Exception: _internal_error,
        },
        middleware=[
            Middleware(MetricsMiddleware, metrics=http_metrics),
            Middleware(
                LoadShedding, limit=settings.max_concurrent_requests, exempt=UNBOUNDED_PATHS
            ),
            Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )
    app.state.http_metrics = http_metrics
    app.state.settings = settings
    return app

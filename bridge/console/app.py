"""The console as a Starlette application, mounted by the bridge at ``/console``.

Its own application, so that its errors are pages and not the API's JSON envelope, and its
headers (:mod:`bridge.console.security`) wrap every answer of its own and none of the API's.
The core client is the bridge's (``core``, read when a page calls it: the bridge creates
it in its lifespan); the session store opens its database handle on first use, so a
bridge whose console is never opened never connects for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import inspect
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from bridge.console import invite_pages, pages, pages_data, pages_ops
from bridge.console.security import PATH, SecurityHeaders
from bridge.console.sessions import SessionStore
from bridge.metrics import ROUTE_PREFIX
from gate_service.config import Settings
from gate_service.storage.database import Database
from gate_service.storage.models import ConsoleSession

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _usd(value: float | None) -> str:
    return "–" if value is None else f"${value:,.4f}"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


def templates() -> Environment:
    """Jinja2 with autoescaping on for every template: nothing a page shows (a model
    name, an error message from upstream) becomes markup."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.filters.update(pct=_pct, usd=_usd, ms=_ms)
    return env


class _Sessions:
    """The session store, made on first use (one database handle per bridge)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._store: SessionStore | None = None
        self._db: Database | None = None
        self._lock = threading.Lock()

    def __call__(self) -> SessionStore:
        with self._lock:
            if self._store is None:
                db = Database.from_settings(self._settings)
                if not inspect(db.engine).has_table(ConsoleSession.__tablename__):
                    db.dispose()
                    # A bridge run apart from its cores, on a database they do not use.
                    raise RuntimeError(
                        f"the console's sessions table is missing in {db.url!r}: give the "
                        "bridge the cores' database (DATABASE_URL / --database-url)"
                    )
                self._db = db
                self._store = SessionStore(
                    self._db,
                    idle_s=self._settings.console_idle_s,
                    max_age_s=self._settings.console_max_age_s,
                )
            return self._store

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    user = await pages.current_user(request) if exc.status_code == 404 else None
    title = "Not found" if exc.status_code == 404 else "Error"
    return pages.render(
        request, "error.html", exc.status_code, user, title=title, message=str(exc.detail)
    )


async def _internal_error(request: Request, exc: Exception) -> Response:
    return pages.render(
        request, "error.html", 500, None, title="Error", message="Internal error in the console."
    )


def create_console(settings: Settings, core: Callable[[], Any]) -> Starlette:
    """The console app; ``core()`` gives the bridge's core client. Mount it wrapped in
    :func:`secured`, so that even a 500 (answered outside an app's own middleware)
    carries the console's headers."""
    app = Starlette(
        routes=[
            Route("/", pages.root, methods=["GET"]),
            Route("/login", pages.login_form, methods=["GET"]),
            Route("/login", pages.login, methods=["POST"]),
            Route("/logout", pages.logout, methods=["POST"]),
            Route("/overview", pages_data.overview, methods=["GET"]),
            Route("/usage", pages_data.usage, methods=["GET"]),
            Route("/usage.csv", pages_data.usage_csv_download, methods=["GET"]),
            Route("/catalog", pages_data.catalog, methods=["GET"]),
            Route("/catalog/{alias:path}", pages_data.catalog_alias, methods=["GET"]),
            Route("/traces", pages.traces, methods=["GET"]),
            Route("/traces/{trace_id}", pages_ops.trace, methods=["GET"]),
            Route("/agent-tokens", pages_ops.agent_tokens, methods=["GET"]),
            Route("/agent-tokens", pages_ops.mint_agent_token, methods=["POST"]),
            Route("/agent-tokens/revoke", pages.revoke_agent_token, methods=["POST"]),
            Route("/agent-tokens/{token_id}/edit", pages_ops.edit_agent_token, methods=["POST"]),
            Route("/vault", pages_ops.vault, methods=["GET"]),
            Route("/vault/keys", pages_ops.add_key, methods=["POST"]),
            Route("/vault/keys/{key_id}/edit", pages_ops.edit_key, methods=["POST"]),
            Route("/vault/keys/{key_id}/{action}", pages_ops.key_action, methods=["POST"]),
            Route("/playground", pages_ops.playground, methods=["GET"]),
            Route("/playground", pages_ops.send_chat, methods=["POST"]),
            # Public: an invite's link (no sign-in; the token is the authority).
            Route("/invite/revoke/{token}", invite_pages.confirm_revoke, methods=["GET"]),
            Route("/invite/revoke/{token}", invite_pages.revoke, methods=["POST"]),
            Route("/invite/{token}", invite_pages.show, methods=["GET"]),
            Route("/invite/{token}", invite_pages.accept, methods=["POST"]),
            Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
            Route("/{name:path}", pages.not_found, methods=["GET"]),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
    )
    app.state.settings = settings
    app.state.core = core
    app.state.templates = templates()
    app.state.sessions = _Sessions(settings)
    return app


def secured(console: Starlette) -> ASGIApp:
    """The console as mounted: every answer, errors included, with the console's headers,
    and counted in the bridge's metrics under ``/console/...`` route labels."""
    with_headers = SecurityHeaders(console)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope[ROUTE_PREFIX] = PATH
        await with_headers(scope, receive, send)

    return app

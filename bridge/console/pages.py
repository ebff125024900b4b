"""The console's shared page machinery, sign-in and sign-out, the Traces list and token
revocation (the data pages are in :mod:`bridge.console.pages_data`, the operations pages in
:mod:`bridge.console.pages_ops`). Handlers render templates; the core is called through
:mod:`bridge.console.core_calls` with the session's credential.

Every POST goes through :func:`_write`: a live session, its CSRF token, and a session
allowed to write (agent tokens read only; sign-out is open to every session).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bridge.console import core_calls
from bridge.console.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    same_token,
    set_cookie,
)
from bridge.console.sessions import ConsoleUser, SessionStore
from bridge.responses import request_id
from gate_service.errors import GateError

# What a secret may look like before it goes anywhere: printable ASCII (gRPC metadata),
# of a sane length. Anything else is refused like a wrong secret.
_SECRET_RE = re.compile(r"[\x21-\x7e]{8,512}")

NAV = (
    ("overview", "Overview"),
    ("traces", "Traces"),
    ("usage", "Usage"),
    ("vault", "Vault"),
    ("agent-tokens", "Agent tokens"),
    ("catalog", "Catalog"),
    ("playground", "Playground"),
)


def _state(request: Request) -> Any:
    return request.app.state


T = TypeVar("T")


async def _sessions(request: Request, call: Callable[[SessionStore], T]) -> T:
    """``call`` with the session store, on a worker thread: database work (and the store's
    first opening) never runs on the event loop."""
    factory: Callable[[], SessionStore] = _state(request).sessions
    return await asyncio.to_thread(lambda: call(factory()))


def _env(request: Request) -> Environment:
    env: Environment = _state(request).templates
    return env


def render(
    request: Request,
    template: str,
    status: int = 200,
    user: ConsoleUser | None = None,
    **context: Any,
) -> HTMLResponse:
    html = (
        _env(request)
        .get_template(template)
        .render(user=user, nav=NAV, page=context.pop("page", ""), **context)
    )
    return HTMLResponse(html, status_code=status)


async def current_user(request: Request) -> ConsoleUser | None:
    """The live session behind the request's cookie, or None."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id or len(session_id) > 128:
        return None
    return await _sessions(request, lambda store: store.load(session_id))


def _to_login(request: Request) -> Response:
    response = RedirectResponse("/console/login", status_code=303)
    if SESSION_COOKIE in request.cookies:
        clear_cookie(response, request, SESSION_COOKIE)
    return response


def _forbidden(request: Request, message: str, user: ConsoleUser | None = None) -> Response:
    return render(request, "error.html", 403, user, title="Forbidden", message=message)


Page = Callable[[Request, ConsoleUser], Awaitable[Response]]


def page(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """A GET page: signed-in users only, others go to the sign-in form."""

    async def endpoint(request: Request) -> Response:
        user = await current_user(request)
        if user is None:
            return _to_login(request)
        try:
            return await handler(request, user)
        except GateError as exc:
            return await _refused(request, user, exc)

    return endpoint


async def _refused(request: Request, user: ConsoleUser, exc: GateError) -> Response:
    """The core's refusal of a page's call. A 401 means the credential no longer works
    (revoked since sign-in): the session ends with it. Anything else is shown, with the
    API's own status (a trace of another brand: 404, as the API answers it)."""
    if exc.http_status == 401:
        await _sessions(request, lambda store: store.end(user.session_id))
        return _to_login(request)
    title = "Not found" if exc.http_status == 404 else "Refused"
    return render(request, "error.html", exc.http_status, user, title=title, message=exc.message)


def write(handler: Page, *, agents: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """A POST: a live session (403 without one: a write is never redirected), the session's
    CSRF token in the form or the header (403), and, unless ``agents``, a session that may
    write (403 for agent tokens)."""

    async def endpoint(request: Request) -> Response:
        user = await current_user(request)
        if user is None:
            return _forbidden(request, "No session: sign in first.")
        given = request.headers.get(CSRF_HEADER)
        if given is None:
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
        if not same_token(user.csrf, given):
            return _forbidden(request, "Missing or wrong CSRF token.", user)
        if not (agents or user.can_write):
            return _forbidden(request, "An agent token's session is read-only.", user)
        try:
            return await handler(request, user)
        except GateError as exc:
            return await _refused(request, user, exc)

    return endpoint


# ----------------------------------------------------------------- sign-in, sign-out


async def root(request: Request) -> Response:
    return RedirectResponse("/console/overview", status_code=303)


def _login_form(request: Request, status: int = 200, error: str = "") -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "login.html", status, login_csrf=token, error=error)
    set_cookie(response, request, LOGIN_COOKIE, token, max_age=3600)
    return response


async def login_form(request: Request) -> Response:
    if await current_user(request) is not None:
        return RedirectResponse("/console/overview", status_code=303)
    return _login_form(request)


async def login(request: Request) -> Response:
    """Exchange a secret for a session: the core says who the secret is (a wrong one is
    refused there, as on the API), then the session is stored and only its id goes back,
    in the cookie. The secret is never echoed: not in the page, the URL or a log line."""
    form = await request.form()
    given = form.get(CSRF_FIELD)
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not (cookie and same_token(cookie, given if isinstance(given, str) else None)):
        return _forbidden(request, "Missing or wrong sign-in token: reload the sign-in page.")
    secret = form.get("secret")
    secret = secret.strip() if isinstance(secret, str) else ""
    if not _SECRET_RE.fullmatch(secret):
        return _login_form(request, 401, "Sign-in refused: that is not a valid credential.")
    core = _state(request).core()
    try:
        who = await core_calls.identify(core, secret, request_id(request))
    except GateError as exc:
        if exc.http_status in (401, 403):
            return _login_form(request, 401, "Sign-in refused: that is not a valid credential.")
        # The core could not answer (overloaded, unreachable): say so, with its status.
        return render(request, "error.html", exc.http_status, title="Error", message=exc.message)
    previous = request.cookies.get(SESSION_COOKIE)

    def replace_session(store: SessionStore) -> str:
        # A sign-in over a live session replaces it: the old one ends now, not at expiry.
        if previous and len(previous) <= 128:
            store.end(previous)
        # Each sign-in sweeps sessions left idle past the bound (an indexed delete), so
        # the table holds about the live sessions without a timer of its own.
        store.purge()
        return store.create(who.kind, who.client_id, who.label, secret)

    session_id = await _sessions(request, replace_session)
    response = RedirectResponse("/console/overview", status_code=303)
    max_age = int(_state(request).settings.console_max_age_s)
    set_cookie(response, request, SESSION_COOKIE, session_id, max_age=max_age)
    clear_cookie(response, request, LOGIN_COOKIE)
    return response


async def _logout(request: Request, user: ConsoleUser) -> Response:
    await _sessions(request, lambda store: store.end(user.session_id))
    return _to_login(request)


logout = write(_logout, agents=True)


# ----------------------------------------------------------------- pages


# The Traces list's filters: the API's own ``GET /traces`` parameters.
TRACE_FILTERS = ("agent", "model", "status", "kind", "from", "to", "min_latency_ms", "min_cost_usd")


async def _traces(request: Request, user: ConsoleUser) -> Response:
    raw = request.query_params.get("offset", "0")
    offset = int(raw) if raw.isdigit() and len(raw) < 9 else 0
    filters = {
        name: value
        for name in TRACE_FILTERS
        if (value := request.query_params.get(name, "").strip()) and len(value) <= 300
    }
    # Every kind of session: the API lists an agent's own traces, a brand's, or (the
    # operator) every brand's.
    error, status = "", 200
    try:
        listing = await core_calls.traces(
            _state(request).core(), user.secret, request_id(request), offset, filters
        )
    except GateError as exc:
        if exc.http_status != 400:
            raise
        # A filter the API refuses: said above the form, which keeps what was typed.
        error, status = exc.message, 400
        listing = {"data": [], "has_more": False}
    return render(
        request,
        "traces.html",
        status,
        user=user,
        page="traces",
        listing=listing,
        offset=offset,
        per_page=core_calls.TRACES_PER_PAGE,
        filters=filters,
        filter_query=urlencode(filters),
        error=error,
    )


async def _not_found(request: Request, user: ConsoleUser) -> Response:
    """Any other console path: the console's own 404 page, signed in."""
    return render(request, "error.html", 404, user, title="Not found", message="No such page.")


async def _revoke_agent_token(request: Request, user: ConsoleUser) -> Response:
    form = await request.form()
    token_id = form.get("id")
    if not isinstance(token_id, str) or not token_id:
        return render(request, "error.html", 400, user, title="Bad request", message="No token id.")
    await core_calls.revoke_agent_token(
        _state(request).core(), user.secret, request_id(request), token_id
    )
    return RedirectResponse("/console/agent-tokens", status_code=303)


revoke_agent_token = write(_revoke_agent_token)
traces = page(_traces)
not_found = page(_not_found)

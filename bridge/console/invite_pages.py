"""The public pages behind an invite's link: no sign-in, the link's token is the key.

- ``GET /console/invite/{token}``: who invites, for which provider, their message, and a
  form for the API key. Opening it changes nothing (mail scanners open links too).
- ``POST`` there: the core tests the key against the provider, stores it encrypted in the
  inviting brand's vault and uses the link up; the page shows the key's masked preview
  and the contributor's revoke link (shown once). A key the provider refuses re-shows
  the form with the reason; the link still works.
- ``GET /console/invite/revoke/{token}``: a confirmation; ``POST`` there deactivates and
  deletes the key, and the revoke link is spent.

An unknown link answers 404, a used, withdrawn or expired one 410, as a page that says
so. Forms carry a double-submit CSRF token (cookie ``sg_invite``, as the sign-in form
does); the console's headers apply (strict CSP, no referrer: the token in the address
never leaves in a Referer). Neither the key nor a token is logged or put in another URL.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bridge.console import invite_calls
from bridge.console.pages import render
from bridge.console.security import CSRF_FIELD, same_token, set_cookie
from bridge.responses import request_id
from gate_service.errors import GateError

INVITE_COOKIE = "sg_invite"


def _core(request: Request) -> Any:
    return request.app.state.core()


def _public_base(request: Request) -> str:
    """Where the contributor reaches us: the configured public URL, else this request's."""
    configured: str = request.app.state.settings.public_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")


def _csrf(request: Request) -> str:
    given = request.cookies.get(INVITE_COOKIE)
    return given if given and len(given) <= 64 else secrets.token_urlsafe(32)


def _with_csrf(request: Request, response: HTMLResponse, token: str) -> HTMLResponse:
    set_cookie(response, request, INVITE_COOKIE, token, max_age=3600)
    return response


async def _csrf_ok(request: Request) -> tuple[bool, Any]:
    form = await request.form()
    given = form.get(CSRF_FIELD)
    cookie = request.cookies.get(INVITE_COOKIE)
    ok = bool(cookie) and same_token(str(cookie), given if isinstance(given, str) else None)
    return ok, form


def _refused(request: Request, exc: GateError) -> HTMLResponse:
    title = {404: "Link not valid", 410: "Link no longer works"}.get(exc.http_status, "Refused")
    return render(request, "invite_refused.html", exc.http_status, title=title, message=exc.message)


def _form(
    request: Request, token: str, invite: dict[str, Any], status: int = 200, error: str = ""
) -> HTMLResponse:
    csrf = _csrf(request)
    response = render(
        request, "invite.html", status, invite=invite, token=token, csrf=csrf, error=error
    )
    return _with_csrf(request, response, csrf)


async def show(request: Request) -> Response:
    token = request.path_params["token"]
    try:
        invite = await invite_calls.open_invite(_core(request), token, request_id(request))
    except GateError as exc:
        return _refused(request, exc)
    return _form(request, token, invite)


async def accept(request: Request) -> Response:
    token = request.path_params["token"]
    ok, form = await _csrf_ok(request)
    core, rid = _core(request), request_id(request)
    try:
        invite = await invite_calls.open_invite(core, token, rid)
        if not ok:
            return _form(request, token, invite, 403, "The form expired: paste the key again.")
        secret = form.get("secret")
        secret = secret.strip() if isinstance(secret, str) else ""
        if not secret:
            return _form(request, token, invite, 400, "Paste the API key.")
        try:
            done = await invite_calls.accept_invite(core, token, secret, rid)
        except GateError as exc:
            if exc.http_status != 400:
                raise
            return _form(request, token, invite, 400, exc.message)
    except GateError as exc:
        return _refused(request, exc)
    revoke_url = f"{_public_base(request)}/console/invite/revoke/{done.pop('revoke_token')}"
    return render(request, "invite_done.html", 200, done=done, revoke_url=revoke_url)


async def confirm_revoke(request: Request) -> Response:
    csrf = _csrf(request)
    response = render(
        request, "invite_revoke.html", 200, token=request.path_params["token"], csrf=csrf
    )
    return _with_csrf(request, response, csrf)


async def revoke(request: Request) -> Response:
    token = request.path_params["token"]
    ok, _ = await _csrf_ok(request)
    if not ok:
        csrf = _csrf(request)
        response = render(
            request,
            "invite_revoke.html",
            403,
            token=token,
            csrf=csrf,
            error="The form expired: confirm again.",
        )
        return _with_csrf(request, response, csrf)
    try:
        done = await invite_calls.revoke_contribution(_core(request), token, request_id(request))
    except GateError as exc:
        return _refused(request, exc)
    return render(request, "invite_revoked.html", 200, done=done)

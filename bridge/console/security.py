"""What every console answer carries and every write must show.

- Headers: a Content-Security-Policy that allows scripts, styles and requests from the
  gateway itself and nothing inline (the pages have no inline script or style; htmx reads
  its configuration from a meta tag and its headers from an attribute), no framing
  (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), no referrer, no caching of
  pages that show a brand's data.
- The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page
  sends it), Path=/console, Secure when the browser reached us over TLS (directly, or
  through a proxy that says ``X-Forwarded-Proto: https``).
- CSRF: every POST and DELETE carries the session's token (form field ``csrf_token`` or
  header ``X-CSRF-Token``), compared in constant time; the sign-in form, which has no
  session yet, carries a double-submit token from its own cookie.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "sg_console"
LOGIN_COOKIE = "sg_console_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PATH = "/console"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """ASGI middleware: the headers above on every console answer, errors included;
    ``Cache-Control: no-store`` on all but the vendored static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith(f"{PATH}/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(_HEADERS)
                if not static:
                    headers.append(_NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def over_tls(request: Request) -> bool:
    """Whether the browser's connection was TLS (here, or at a proxy in front)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=over_tls(request),
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name, path=PATH, httponly=True, samesite="strict", secure=over_tls(request)
    )


def same_token(expected: str, given: str | None) -> bool:
    """Constant-time comparison; a missing or empty token never matches."""
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())

"""The bridge's routes: a Starlette ``Route`` that also says how the bridge's own errors on
it are answered, and the ``anypath`` convertor.

Each bridge module declares its ``ROUTES`` next to its handlers; ``bridge/app.py`` lists
the modules and mounts their routes under both prefixes. A handler raises and never
catches: the exception handlers registered by the app (:mod:`bridge.errors`) answer a
``GateError`` the bridge found (a body that is not JSON, a bad query) with the route's
``refusal``, which Starlette makes findable by leaving the matched route in
``scope["route"]``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gate_service.errors import GateError

# (request, the error the bridge found, the request's id) -> the answer.
Refusal = Callable[[Request, GateError, str], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


class GateRoute(Route):
    """A route whose bridge-found errors are answered by ``refusal`` (e.g. after asking
    the core whether the caller's token is good, as the core would have first)."""

    def __init__(
        self, path: str, endpoint: Endpoint, *, methods: Collection[str], refusal: Refusal
    ) -> None:
        super().__init__(path, endpoint, methods=methods)
        self.refusal = refusal


class _AnyPath(Convertor[str]):
    """Like Starlette's ``path``, but also across line breaks: a model id with a newline
    is an unknown model (404 ``model_not_found``), not an unknown route."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


# Starlette's convertors are one global table read when a route's path compiles, so this
# must run before any module declares a route with ``{name:anypath}`` (idempotent).
register_url_convertor("anypath", _AnyPath())

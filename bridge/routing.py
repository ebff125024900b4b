"""The ``anypath`` route convertor of the bridge's routes.

Each bridge module declares its ``ROUTES`` (plain Starlette routes) next to its handlers;
``bridge/app.py`` lists the modules and mounts their routes under both prefixes. A handler
raises and never catches: the exception handlers registered by the app
(:mod:`bridge.errors`) answer.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor


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

"""Query strings: typed by the bridge when it can, forwarded as they came when it cannot.

A route's parser (``gate_service/proto_convert``) turns ``request.query_params`` into its
request message. When the parser refuses a value, the bridge does not answer the 400: the
raw query string goes to the core in the message's ``raw_query``, and the core answers
after authentication (401 first; the 400 naming the parameter, with the token's
``X-RateLimit-*``), reading it with the same parser
(:mod:`gate_service.proto_convert.untyped`). One call either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from starlette.requests import Request

from gate_service.errors import GateError

T = TypeVar("T")


def read_query(
    request: Request, parse: Callable[[Mapping[str, str]], T], forward: Callable[[str], T]
) -> T:
    """``parse`` of the query parameters, or, when it refuses them, ``forward`` of the raw
    query string (decoded as Starlette decodes it before parsing: Latin-1)."""
    try:
        return parse(request.query_params)
    except GateError:
        return forward(request.scope["query_string"].decode("latin-1"))

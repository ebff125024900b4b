"""Input the bridge could not type, read again by the core after authentication.

The bridge turns a query string or a JSON body into a typed request message; when its
reader refuses one (a bad value, a body that is not JSON), it does not answer that 400
itself: it has not authenticated anyone, so it could neither put the 401 first nor add the
token's ``X-RateLimit-*``. It forwards the input as it came (a request's ``raw_query`` or
``raw_body``) and the servicer, once it knows the caller, reads it with these same
functions and the same converter, so the 400 and its ``param`` are the bridge's exactly.
A gRPC client that fills those fields itself gets the same reading.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import orjson

from gate_service.chat.validation import check_depth
from gate_service.errors import invalid

T = TypeVar("T")


def query_params(raw: str) -> dict[str, str]:
    """A raw query string as the bridge's ``request.query_params`` reads it: Starlette
    parses with ``parse_qsl(..., keep_blank_values=True)`` and a repeated key keeps its
    last value."""
    return dict(parse_qsl(raw, keep_blank_values=True))


def parse_json(raw: bytes, max_depth: int, convert: Callable[[dict[str, Any]], T]) -> T:
    """Bytes -> a JSON object within ``max_depth`` levels -> ``convert``'s result; a
    400 naming the problem otherwise. Pure, so it can run in a worker thread."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise invalid("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    check_depth(body, max_depth)
    return convert(body)

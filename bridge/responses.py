"""JSON responses (orjson) and the error envelope, with the headers every answer carries:
the request's id, and on a reply the core's own ``headers`` map (the token's
``X-RateLimit-*``, the chat's fallback notes)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from bridge.messages_answer import error_body as anthropic_error
from gate_service.auth.tokens import invalid_token_format
from gate_service.errors import GateError

REQUEST_ID = "X-Request-Id"
# Where the request's id is kept once chosen (an ASGI scope extension key).
_SCOPE_KEY = "spidergate.request_id"
_CLIENT_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_METADATA_VALUE_RE = re.compile(r"[\x20-\x7e]*")


class JSONResponse(Response):
    """Starlette's JSONResponse, serialised with orjson (about 10x faster)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def request_id(request: Request) -> str:
    """The client's ``X-Request-Id`` when it is sane, else a fresh one; chosen once per
    request, so the id the core was sent is the one an exception handler answers with."""
    rid: str | None = request.scope.get(_SCOPE_KEY)
    if rid is None:
        given = request.headers.get("x-request-id")
        rid = given if given and _CLIENT_ID_RE.fullmatch(given) else uuid.uuid4().hex
        request.scope[_SCOPE_KEY] = rid
    return rid


Metadata = tuple[tuple[str, str], ...]


def call_metadata(request: Request, rid: str | None = None, *, api_key: bool = False) -> Metadata:
    """The gRPC metadata of a call: the request id (``rid``, else the request's own), and
    the caller's Authorization as is (the core authenticates; the bridge holds no state).

    ``api_key``: the route also takes the token as ``x-api-key`` (Anthropic's header, which
    the anthropic SDK sends), as ``Bearer <key>``, when there is no Authorization. Only
    the routes of that API ask: elsewhere the header means nothing to us.

    gRPC metadata values are printable ASCII; an Authorization header with any other
    character (HTTP allows Latin-1 bytes) cannot be sent, and is no token of ours either:
    401 ``invalid_token_format`` here, as the core answers it in-process."""
    auth = request.headers.get("authorization")
    if auth is None and api_key and (key := request.headers.get("x-api-key")) is not None:
        auth = f"Bearer {key}"
    md: Metadata = (("x-request-id", rid or request_id(request)),)
    if (parent := request.headers.get("traceparent")) is not None:
        md = (*md, *_trace_context(parent, request.headers.get("tracestate")))
    if auth is None:
        return md
    if not _METADATA_VALUE_RE.fullmatch(auth):
        raise invalid_token_format()
    return (*md, ("authorization", auth))


def _trace_context(traceparent: str, tracestate: str | None) -> Metadata:
    """The caller's W3C trace context, forwarded to the core (which makes the request's
    span its child). A value that is not printable ASCII cannot travel as metadata and is
    dropped: a broken trace header costs the caller its trace, never its request."""
    if not _METADATA_VALUE_RE.fullmatch(traceparent):
        return ()
    if tracestate is not None and _METADATA_VALUE_RE.fullmatch(tracestate):
        return (("traceparent", traceparent), ("tracestate", tracestate))
    return (("traceparent", traceparent),)


def reply(
    request: Request,
    body: Any,
    core_headers: Mapping[str, str] | None = None,
    *,
    status: int = 200,
) -> JSONResponse:
    """A success: ``body`` as JSON with the core's ``headers`` map (when its answer has
    one) and the request's id."""
    headers = {**(core_headers or {}), REQUEST_ID: request_id(request)}
    return JSONResponse(body, status_code=status, headers=headers)


# The paths of Anthropic's Messages API (under either prefix): their errors are in
# Anthropic's shape, so that the anthropic SDK raises its typed exceptions with our message.
_ANTHROPIC_PATHS = ("/v1/messages", "/v1/messages/count_tokens")


def error_response(error: GateError, rid: str, path: str = "") -> JSONResponse:
    """The documented envelope with the error's status and headers; on the request
    ``path`` of another vendor's API, that vendor's error shape (same status)."""
    body = anthropic_error(error) if path.endswith(_ANTHROPIC_PATHS) else error.envelope()
    return JSONResponse(
        body, status_code=error.http_status, headers={**error.headers, REQUEST_ID: rid}
    )

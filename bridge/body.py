"""Request bodies: a size bound before anything reads them, and JSON parsed off the event
loop when large.

**The bound** (``Settings.max_body_bytes``, 20 MB) is a plain ASGI middleware, so every
route that takes a body (chat, the vault's POST and PATCH, any added later) is covered
without code of its own. A ``Content-Length`` over the bound is answered 413
``request_too_large`` at once, without a byte of the body read; a body without one
(chunked) is read here, counted as it arrives, and refused the moment it passes the bound,
with at most one receive-chunk (64 KB, uvicorn's flow-control mark) past it in memory. A
body within the bound is handed on untouched (``Content-Length``) or replayed from what was
read (chunked). After the 413 the connection stays open: uvicorn discards the unread rest
as it arrives, so a client still sending gets to read the answer instead of a reset.
Before this, one 93 MB request took 22 s and 2.97 GB of RSS while ``/health`` waited
10-11 s; now a 50 MB one gets its 413 in 3-23 ms with ``Content-Length``, 36-155 ms
chunked (20 MB are read first), ``/health`` answering throughout (tests/e2e/test_bounds.py).

**Parsing** (``read_json``, with :func:`gate_service.proto_convert.untyped.parse_json`,
the reader the core uses again on what the bridge forwards): orjson, the depth check and
the conversion to proto take about 17 µs for an ordinary chat body, run inline. A route
whose answer to a bad body must come after authentication (every one: 401 before 400,
and the token's ``X-RateLimit-*`` on the 400) passes ``forward``: a body that cannot be
parsed or typed is handed to it as-is, for the core to refuse after it checked the
credential; a body over ``Settings.json_offload_bytes`` (256 KB) goes to a worker
thread, where the conversion (Python code, which hands the GIL back every 5 ms) no
longer stalls other requests: a 17 MB body of 150,000 messages paused the bridge's loop
0.26-0.46 s at most, against 1.3-2.4 s inline. orjson itself holds the GIL while it
parses (measured 5 ms per MB for one long message, 13 ms per MB for many short ones), so
the body bound also bounds that pause.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge.responses import error_response, request_id
from gate_service.errors import GateError
from gate_service.offload import sized
from gate_service.proto_convert.untyped import parse_json

T = TypeVar("T")


def too_large(max_bytes: int) -> GateError:
    return GateError(
        "request_too_large", f"The request body is larger than the limit of {max_bytes} bytes."
    )


class BodyLimit:
    """Raw ASGI: refuses a request body larger than ``max_bytes`` before it is read.

    **Uploads** (``upload_paths``, e.g. ``/v1/audio/transcriptions``) have their own
    bound, ``max_upload_bytes`` (26 MB: OpenAI's 25 MB file and the form around it), and
    are never buffered here: their route parses the form as it streams in (files spooled
    to disk), so a chunked upload is counted as it is read and refused (413, raised to
    the app's handlers) the moment it passes the bound."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        *,
        max_upload_bytes: int | None = None,
        upload_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes if max_upload_bytes is not None else max_bytes
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["path"] in self.upload_paths
        bound = self.max_upload_bytes if upload else self.max_bytes
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit():
                    break  # the server's parser refuses these; count what arrives instead
                # A Content-Length with more digits than the bound is over it.
                if len(value) > len(str(bound)) or int(value) > bound:
                    await self._refuse(scope, receive, send, bound)
                else:
                    await self.app(scope, receive, send)
                return
        if upload:
            await self.app(scope, _counted(receive, bound), send)
            return
        if scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
            # No route reads these bodies, and bytes nobody reads are not buffered past
            # uvicorn's 64 KB flow-control mark: nothing to count.
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left while sending: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send, self.max_bytes)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, bound: int) -> None:
        response = error_response(too_large(bound), request_id(Request(scope)), scope["path"])
        await response(scope, receive, send)


def _counted(receive: Receive, max_bytes: int) -> Receive:
    """A ``receive`` that raises 413 once more than ``max_bytes`` of body arrived."""
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        size += len(message.get("body", b""))
        if size > max_bytes:
            raise too_large(max_bytes)
        return message

    return counted


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body already read, then the real one (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def parse_or_forward(
    raw: bytes,
    max_depth: int,
    convert: Callable[[dict[str, Any]], T],
    forward: Callable[[bytes], T] | None = None,
) -> T:
    """``parse_json``, or, when it refuses the body and ``forward`` is given, the raw
    body through ``forward`` (the refusal is then the core's to make)."""
    if forward is None:
        return parse_json(raw, max_depth, convert)
    try:
        return parse_json(raw, max_depth, convert)
    except GateError:
        return forward(raw)


async def read_json(
    request: Request,
    convert: Callable[[dict[str, Any]], T],
    forward: Callable[[bytes], T] | None = None,
) -> T:
    """The request's JSON body through ``convert`` (e.g. to a proto message), parsed in a
    worker thread when the body is larger than the app's ``json_offload_bytes``; see
    ``parse_or_forward`` for ``forward``."""
    settings = request.app.state.settings
    raw = await request.body()
    depth = settings.max_json_depth
    limit = settings.json_offload_bytes
    return await sized(len(raw), limit, parse_or_forward, raw, depth, convert, forward)

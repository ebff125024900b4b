"""uvicorn's httptools protocol with a header read timeout and a bound on header size.

uvicorn times out only idle keep-alive connections: a connection that opens and sends
half a request line, or one header byte a second, was held forever (800 such connections
measured held for 40 s, each a socket and a protocol object). Here every connection must
complete a request's headers within ``header_timeout_s`` (``Settings.header_timeout_s``,
10 s) of being opened, and again of its previous response ending; a timer armed then and
cancelled when the headers are complete closes it otherwise. Bytes trickling in do not
reset it (that is what a slowloris client relies on). The body and the answer are not
covered: the overall request deadline bounds those.

**Header size.** httptools (llhttp) sets no limit of its own: one connection sent 1.25 GB
of header lines in 5 s and the process grew to 1.38 GB. A request line and headers larger
than ``MAX_HEADER_BYTES`` (64 KB: nginx allows 32 KB, Node 16 KB) get 431 in the envelope
and the connection is closed.

The number of open connections is left to the process's file-descriptor limit:
uvicorn's ``limit_concurrency`` answers past its count with a plain-text 503 outside our
envelope and counts idle keep-alive connections and ``/health`` too, so the bound on work
is the bridge's load shedding (bridge/shedding.py) and idle or slow connections are
reaped by this timeout and uvicorn's keep-alive timeout (5 s).
"""

from __future__ import annotations

import asyncio

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gate_service.errors import GateError

MAX_HEADER_BYTES = 64 * 1024


def _too_large_answer() -> bytes:
    error = GateError(
        "invalid_request",
        f"The request line and headers are larger than {MAX_HEADER_BYTES} bytes.",
        status=431,
    )
    body = orjson.dumps(error.envelope())
    return (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        b"content-type: application/json\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n%b" % (len(body), body)
    )


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """Closes a connection that does not finish a request's headers in time, or sends
    more than ``MAX_HEADER_BYTES`` of them."""

    header_timeout_s: float = 10.0
    _header_timer: asyncio.TimerHandle | None = None
    _in_headers = False  # between a request's first byte and the end of its headers
    _header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        # Bytes of a request whose headers began in an earlier read. (The read in which a
        # request begins is not counted: it may end the previous request's body. So the
        # bound holds to within one read, at most 256 KB.)
        counted = self._in_headers
        super().data_received(data)
        if not (counted and self._in_headers):
            return
        self._header_bytes += len(data)
        if self._header_bytes > MAX_HEADER_BYTES and not self.transport.is_closing():
            self._cancel_header_timer()
            self.transport.write(_too_large_answer())
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._header_bytes = 0

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._cancel_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # A pipelined request already has its headers; otherwise the next one starts now.
        if not self.pipeline and not self.transport.is_closing():
            self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def with_header_timeout(timeout_s: float) -> type[HeaderTimeoutProtocol]:
    """The protocol class for ``uvicorn.Config(http=...)`` with this timeout."""
    if timeout_s <= 0:
        raise ValueError("the header timeout must be positive")
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout_s": timeout_s})

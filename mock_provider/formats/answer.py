"""Sending a format's answer, and carrying out scripted faults on the way.

The fault kinds are described in :mod:`mock_provider.fault_rules`.  This module
lives in ``formats`` because every format answers through it.

Work is split by when a fault can act:

* :func:`before_handler` - in the dispatcher, before the format sees the
  request: ``delay_ms`` sleeps, ``error`` answers, ``reset`` drops the socket.
* :func:`json_answer` / :func:`stream_answer` - in the format's handler, once
  the answer is built, because only the format knows whether the request
  streams (a body field for OpenAI/Anthropic, the path for Gemini).

Without a fault both answer helpers take the fast path: one ``web.Response``
or a single write of all events, exactly as before faults existed.  Only the
stream kinds pay for one write per event.

Dropping a connection: ``reset`` aborts the transport with ``SO_LINGER`` 0 so
the client gets a TCP RST before any byte of a response; a cut stream closes
the transport gracefully so the events already written do reach the client,
followed by EOF in the middle of the chunked body.  Either way the handler
still returns a response object, whose ``prepare``/``write_eof`` then fail
with ``ConnectionError`` - which aiohttp treats as a client disconnect and
does not log.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiohttp import web

from mock_provider.behaviour import Reply
from mock_provider.fault_rules import FaultRule
from mock_provider.formats.sse import EVENT_STREAM, send_events, start_stream

if TYPE_CHECKING:
    from mock_provider.formats.base import Call, WireFormat

__all__ = [
    "STREAM_KINDS",
    "add_fault_headers",
    "before_handler",
    "drop_connection",
    "empty_if",
    "json_answer",
    "stream_answer",
]

STREAM_KINDS = frozenset({"slow_stream", "stream_cut", "malformed_sse"})
"""Kinds that need a stream written event by event."""
_LINGER_RESET = struct.pack("ii", 1, 0)


async def before_handler(
    fault: FaultRule, request: web.Request, fmt: WireFormat
) -> web.StreamResponse | None:
    """Sleep ``delay_ms``; answer ``error`` and ``reset`` faults; else ``None`` (go on)."""
    if fault.delay_ms:
        await asyncio.sleep(fault.delay_ms / 1000)
    if fault.kind == "error":
        return fmt.fault_response(fault)
    if fault.kind == "reset":
        return drop_connection(request, hard=True)
    return None


def empty_if(fault: FaultRule | None, reply: Reply) -> Reply:
    """The model's reply, emptied by an ``empty`` fault: no text, no tool call, cut at
    the budget (``length``); the prompt is still counted, as a provider bills it."""
    if fault is None or fault.kind != "empty":
        return reply
    return Reply("", (), "length", reply.prompt_tokens, reply.completion_tokens)


def drop_connection(request: web.Request, *, hard: bool) -> web.StreamResponse:
    """Close the client's connection now; returns a response that will never be sent.

    ``hard`` sends a TCP reset (nothing buffered is delivered); otherwise the
    transport flushes what was written, then closes.
    """
    transport = request.transport
    if transport is not None:
        if hard:
            sock = transport.get_extra_info("socket")
            # Not a TCP socket (a test transport...)? Then a plain close will do.
            with contextlib.suppress(AttributeError, OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
            transport.abort()
        else:
            transport.close()
    return web.Response()


def add_fault_headers(fault: FaultRule | None, headers: dict[str, str]) -> None:
    """Merge the rule's ``headers`` into a success answer's; the rule wins, case-insensitively.

    The content type stays the format's own: a rule cannot make JSON look like SSE.
    """
    if fault is not None and fault.headers:
        headers.update(
            (k.lower(), v) for k, v in fault.headers.items() if k.lower() != "content-type"
        )


def json_answer(
    call: Call,
    body: bytes,
    headers: dict[str, str],
    content_type: str = "application/json",
    charset: str | None = None,
) -> web.StreamResponse:
    """A non-streaming 200, unless the call's fault says to cut or corrupt it."""
    fault = call.fault
    if fault is not None:
        add_fault_headers(fault, headers)
        if fault.kind == "stream_cut":
            return drop_connection(call.request, hard=True)
        if fault.kind == "malformed_sse":
            body = body[: len(body) // 2]
    return web.Response(body=body, content_type=content_type, charset=charset, headers=headers)


async def stream_answer(
    call: Call,
    events: Sequence[bytes],
    headers: dict[str, str],
    *,
    malformed: bytes,
    content_type: str = EVENT_STREAM,
    charset: str | None = "utf-8",
) -> web.StreamResponse:
    """Stream ``events`` (the last one ends the stream), honouring the call's fault.

    ``malformed`` is the format's corrupt event (``data: {not json`` framed the
    way its clients will try to parse it).
    """
    fault = call.fault
    if fault is not None:
        add_fault_headers(fault, headers)
    if fault is None or fault.kind not in STREAM_KINDS:
        return await send_events(call.request, events, headers, content_type, charset)

    response = await start_stream(call.request, headers, content_type, charset)
    gap = fault.chunk_delay_ms / 1000
    if fault.kind == "slow_stream":
        await _write_paced(response, events, gap)
        await response.write_eof()
        return response
    await _write_paced(response, events[: min(fault.after_chunks, len(events) - 1)], gap)
    if fault.kind == "malformed_sse":
        if gap:
            await asyncio.sleep(gap)
        await response.write(malformed)
    drop_connection(call.request, hard=False)
    return response


async def _write_paced(response: web.StreamResponse, events: Sequence[bytes], gap: float) -> None:
    """One write per event, ``gap`` seconds apart (the first goes out at once)."""
    for index, event in enumerate(events):
        if index and gap:
            await asyncio.sleep(gap)
        await response.write(event)

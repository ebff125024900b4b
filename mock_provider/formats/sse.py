"""Server-sent events (and other streamed bodies), shared by every streaming format.

Events are built as bytes up front.  With no fault to act on they are written
in one go (:func:`send_events`): with no artificial pacing there is nothing to
gain from one write per event, and a single write keeps the benchmark path
cheap.  The body still uses chunked transfer encoding like the real providers.
Paced, cut or corrupted streams are written event by event by
:func:`mock_provider.formats.answer.stream_answer`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from aiohttp import web

__all__ = [
    "DONE",
    "EVENT_STREAM",
    "crlf_data_event",
    "data_event",
    "named_event",
    "send_events",
    "start_stream",
]

DONE = b"data: [DONE]\n\n"
EVENT_STREAM = "text/event-stream"


def data_event(payload: Any) -> bytes:
    """``data: <json>`` - the only kind of event OpenAI sends."""
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def crlf_data_event(payload: Any) -> bytes:
    """``data: <json>`` ended by CRLFs - how Gemini frames its ``alt=sse`` events."""
    return b"data: " + orjson.dumps(payload) + b"\r\n\r\n"


def named_event(name: str, payload: Any) -> bytes:
    """``event: <name>`` + ``data: <json>`` - Anthropic's style."""
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


async def start_stream(
    request: web.Request,
    headers: Mapping[str, str],
    content_type: str = EVENT_STREAM,
    charset: str | None = "utf-8",
) -> web.StreamResponse:
    """Send the status line and headers of a streamed 200; the body follows."""
    response = web.StreamResponse(headers=headers)
    response.content_type = content_type
    if charset is not None:
        response.charset = charset
    await response.prepare(request)
    return response


async def send_events(
    request: web.Request,
    events: Iterable[bytes],
    headers: Mapping[str, str],
    content_type: str = EVENT_STREAM,
    charset: str | None = "utf-8",
) -> web.StreamResponse:
    """Answer ``request`` with a streamed body carrying ``events`` in a single write."""
    response = await start_stream(request, headers, content_type, charset)
    await response.write(b"".join(events))
    await response.write_eof()
    return response

"""Server-sent events, shared by every streaming wire format.

Events are built as bytes up front and written in one go: with no artificial
pacing there is nothing to gain from one write per event, and a single write
keeps the benchmark path cheap.  The body still uses chunked transfer encoding
like the real providers.  Paced or cut streams (future fault kinds) can call
:func:`send_events` with their own slice of events or write them one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from aiohttp import web

__all__ = ["DONE", "data_event", "named_event", "send_events"]

DONE = b"data: [DONE]\n\n"


def data_event(payload: Any) -> bytes:
    """``data: <json>`` - the only kind of event OpenAI sends."""
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def named_event(name: str, payload: Any) -> bytes:
    """``event: <name>`` + ``data: <json>`` - Anthropic's style."""
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


async def send_events(
    request: web.Request, events: Iterable[bytes], headers: Mapping[str, str]
) -> web.StreamResponse:
    """Answer ``request`` with a ``text/event-stream`` carrying ``events``."""
    response = web.StreamResponse(headers=headers)
    response.content_type = "text/event-stream"
    response.charset = "utf-8"
    await response.prepare(request)
    await response.write(b"".join(events))
    await response.write_eof()
    return response

"""Raw SSE, framed the way each vendor frames it, through the real transport and into
each decoder: Anthropic names every event on an ``event:`` line, Gemini ends lines with
CRLF and has no terminating event, OpenAI ends with ``data: [DONE]``."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gate_service.domain.openai_json import chunk_to_json
from gate_service.providers.base import UpstreamRequest
from gate_service.providers.transport import create_session, open_stream
from tests.providers.canned import CANNED, MODELS, TEXT
from tests.providers.support import adapter, reassemble, target


def _frame(fmt: str, events: list[Any]) -> bytes:
    out = []
    for event in events:
        data = event if isinstance(event, str) else orjson.dumps(event).decode()
        if fmt == "anthropic":
            out.append(f"event: {event['type']}\ndata: {data}\n\n")
        elif fmt == "gemini":
            out.append(f"data: {data}\r\n\r\n")
        else:
            out.append(f"data: {data}\n\n")
    return "".join(out).encode()


@pytest.mark.parametrize("fmt", ["openai", "anthropic", "gemini"])
async def test_framed_stream_decodes(fmt: str) -> None:
    raw = _frame(fmt, CANNED[fmt]["text_stream"])

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=raw, content_type="text/event-stream")

    app = web.Application()
    app.router.add_post("/", handler)
    chunks: list[dict[str, Any]] = []
    async with TestServer(app) as server, create_session() as session:
        req = UpstreamRequest(url=str(server.make_url("/")), headers={}, body=b"{}")
        resp = await open_stream(session, req, 5)
        decoder = adapter(fmt).stream_decoder(target(fmt, MODELS[fmt]))
        try:
            async for payloads in resp.events(5):
                for data in payloads:
                    chunks.extend(chunk_to_json(c) for c in decoder.feed(data))
                if decoder.done:
                    break
        finally:
            resp.close()
    assert decoder.done
    rebuilt = reassemble(chunks)
    assert rebuilt["message"]["content"] == TEXT
    assert rebuilt["finish_reason"] == "stop"
    assert rebuilt["usage"]["total_tokens"] == 28

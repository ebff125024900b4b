"""Upstream HTTP: one pooled aiohttp session for the process, SSE line reading.

aiohttp, not httpx, on the hot path: measured on this machine at 16 in flight aiohttp
costs about 0.08 ms per request against httpx's 1.7 ms.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp

from gate_service.providers.base import FailureKind, UpstreamFailure, UpstreamRequest


def create_session() -> aiohttp.ClientSession:
    """The shared session: keep-alive pool, no per-host cap, no cookie jar."""
    connector = aiohttp.TCPConnector(
        limit=0, limit_per_host=0, keepalive_timeout=60, ttl_dns_cache=300
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=True,
        skip_auto_headers=("User-Agent",),
    )


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def _lower(headers: object) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}  # type: ignore[attr-defined]


async def post(
    session: aiohttp.ClientSession, req: UpstreamRequest, timeout_s: float
) -> UpstreamResponse:
    """POST and read the whole answer; network failures become ``UpstreamFailure``."""
    try:
        async with asyncio.timeout(timeout_s):
            async with session.post(req.url, data=req.body, headers=req.headers) as resp:
                body = await resp.read()
                return UpstreamResponse(resp.status, _lower(resp.headers), body)
    except TimeoutError as exc:
        raise UpstreamFailure(FailureKind.TIMEOUT, 504, "upstream timed out") from exc
    except aiohttp.ClientError as exc:
        raise UpstreamFailure(
            FailureKind.CONNECTION, 502, f"upstream connection failed ({type(exc).__name__})"
        ) from exc


class StreamResponse:
    """An open streamed answer: status and headers now, ``data:`` payloads as they come."""

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp
        self.status = resp.status
        self.headers = _lower(resp.headers)

    async def read_body(self) -> bytes:
        return await self._resp.read()

    async def events(self, idle_timeout_s: float) -> AsyncIterator[list[bytes]]:
        """Yield the SSE ``data:`` payloads that arrived together, one list per read.

        Reading whatever is buffered (``readany``) instead of line by line lets a batch of
        events that came in one packet be forwarded in one write downstream; nothing waits
        for more data than has arrived.
        """
        content = self._resp.content
        rest = b""
        while True:
            try:
                async with asyncio.timeout(idle_timeout_s):
                    data = await content.readany()
            except TimeoutError as exc:
                raise UpstreamFailure(FailureKind.TIMEOUT, 504, "upstream stream stalled") from exc
            except aiohttp.ClientError as exc:
                raise UpstreamFailure(
                    FailureKind.CONNECTION, 502, "upstream stream connection failed"
                ) from exc
            if not data:
                if rest.startswith(b"data:"):
                    yield [rest[5:].strip()]
                return
            lines = (rest + data).split(b"\n")
            rest = lines.pop()
            batch = [line[5:].strip() for line in lines if line.startswith(b"data:")]
            if batch:
                yield batch

    def close(self) -> None:
        self._resp.close()


async def open_stream(
    session: aiohttp.ClientSession, req: UpstreamRequest, timeout_s: float
) -> StreamResponse:
    """POST and return once the status line and headers arrived."""
    try:
        async with asyncio.timeout(timeout_s):
            resp = await session.post(req.url, data=req.body, headers=req.headers)
    except TimeoutError as exc:
        raise UpstreamFailure(FailureKind.TIMEOUT, 504, "upstream timed out") from exc
    except aiohttp.ClientError as exc:
        raise UpstreamFailure(
            FailureKind.CONNECTION, 502, f"upstream connection failed ({type(exc).__name__})"
        ) from exc
    return StreamResponse(resp)

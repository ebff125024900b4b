"""The chat service: what both gRPC servicers call. It owns the exact-match response cache
in front of the router.

A hit answers with the stored completion marked ``cache_hit: true`` and ``cost_usd: 0``
(``prepare_hit``); the key includes the brand, so one brand never gets another's answer.
Only whole, successful completions are stored: a streaming request is served from the
cache when a hit exists (replayed as chunks) but a streamed answer is not stored, since
storing it would mean holding the whole answer back or re-assembling it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from gate_service.cache import ResponseCache, cache_key, cacheable, prepare_hit
from gate_service.chat.replay import completion_to_chunks
from gate_service.routing.router import RequestContext, Router


class ChatService:
    def __init__(self, router: Router, cache: ResponseCache | None) -> None:
        self.router = router
        self.cache = cache

    async def _hit(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> tuple[str | None, int, dict[str, Any] | None]:
        enabled, ttl = cacheable(request)
        if not enabled or self.cache is None or ctx.client_id is None:
            return None, 0, None
        started = time.perf_counter()
        key = cache_key(ctx.client_id, request)
        stored = await self.cache.get(key)
        if stored is None:
            return key, ttl, None
        latency = round((time.perf_counter() - started) * 1000, 3)
        return key, ttl, prepare_hit(stored, request_id=ctx.request_id, latency_ms=latency)

    async def complete(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        key, ttl, hit = await self._hit(ctx, request)
        if hit is not None:
            return hit, {}
        completion, headers = await self.router.complete(ctx, request)
        if key is not None and self.cache is not None:
            stored = {k: v for k, v in completion.items() if k != "route_trace"}
            await self.cache.set(key, stored, ttl)
        return completion, headers

    async def stream(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> AsyncIterator[tuple[dict[str, str] | None, list[dict[str, Any]]]]:
        _, _, hit = await self._hit(ctx, request)
        if hit is not None:
            wants_usage = bool((request.get("stream_options") or {}).get("include_usage"))
            yield {}, completion_to_chunks(hit, include_usage=wants_usage)
            return
        async for item in self.router.stream(ctx, request):
            yield item

"""Chat completions as attempts of the failover runner (:mod:`gate_service.routing.runner`).

Everything chat-specific about an attempt lives here, and every read of the chat request
the routing needs: the per-attempt timeout and ``retry_count`` (:func:`chat_route`),
the upstream request built through the wire adapter, the whole answer parsed
(:class:`CompletionCall`), or the stream decoded, its chunks rewritten to our id and the
served model, and metered (:class:`ChunkStreamCall`). The runner decides what happens
when an attempt fails; these only say how it failed (``UpstreamFailure``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass

import aiohttp

from gate_service.chat.answer import new_completion_id, rewrite_chunk
from gate_service.chat.several import merge_completions, single
from gate_service.deadline import Deadline
from gate_service.domain import ChatRequest, Chunk, Completion, Usage
from gate_service.providers.base import (
    FailureKind,
    StreamDecoder,
    Target,
    UpstreamFailure,
    WireAdapter,
)
from gate_service.providers.params import emulates_n
from gate_service.providers.transport import StreamResponse, open_stream, post
from gate_service.routing.cost import counted_usage
from gate_service.routing.plan import Planned
from gate_service.routing.runner import Reply, Route

Batch = list[Chunk]


def chat_route(
    request: ChatRequest, planned: Sequence[Planned], deadline: Deadline, default_timeout_s: float
) -> Route:
    """The route of a chat request: ``spidergate_options.timeout_ms`` per attempt (else
    the configured default) and ``retry_count``."""
    timeout_ms = request.options.timeout_ms
    return Route(
        planned=planned,
        deadline=deadline,
        timeout_s=timeout_ms / 1000 if timeout_ms else default_timeout_s,
        retry_count=request.options.retry_count,
    )


@dataclass(frozen=True, slots=True)
class CompletionCall:
    """One non-streaming attempt: post the request, parse the whole answer. ``n > 1`` on a
    provider without ``n``: ``n`` calls to the same target at once, merged
    (:mod:`gate_service.chat.several`); one failing fails the attempt."""

    session: aiohttp.ClientSession
    request: ChatRequest

    async def __call__(
        self, target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
    ) -> Reply[Completion]:
        n = self.request.n or 1
        if n > 1 and emulates_n(target.provider):
            one = single(self.request)
            replies = await asyncio.gather(
                *(self._once(one, target, adapter, deadline, timeout_s) for _ in range(n))
            )
            completion = merge_completions([r.value for r in replies])
            return Reply(completion, replies[0].headers, completion.usage)
        return await self._once(self.request, target, adapter, deadline, timeout_s)

    async def _once(
        self,
        request: ChatRequest,
        target: Target,
        adapter: WireAdapter,
        deadline: Deadline,
        timeout_s: float,
    ) -> Reply[Completion]:
        upstream = adapter.build_request(target, request, stream=False)
        resp = await post(self.session, upstream, timeout_s, deadline)
        if resp.status >= 400:
            raise adapter.classify_error(resp.status, resp.headers, resp.body)
        completion = adapter.parse_response(target, resp.body)
        if request.logprobs and _missing_logprobs(completion):
            # A vendor that ignores logprobs silently: try the next candidate rather
            # than hand the client a null it asked us not to give (providers.params).
            raise UpstreamFailure(
                FailureKind.PROTOCOL, 502, "the provider answered without the logprobs asked for"
            )
        return Reply(completion, resp.headers, completion.usage)


def _missing_logprobs(completion: Completion) -> bool:
    """A choice with text but no ``logprobs`` (a tool call has no text to score)."""
    return any(c.logprobs is None and c.message.content for c in completion.choices)


class ChunkStreamCall:
    """One streaming attempt: open the stream; its batches of rewritten chunks follow.
    One id for the whole answer, whichever attempt serves it."""

    def __init__(
        self, session: aiohttp.ClientSession, request: ChatRequest, prompt_tokens: int
    ) -> None:
        self._session = session
        self._request = request
        self._wants_usage = request.wants_usage
        # The prompt's estimated size (planning's), billed if the upstream never says.
        self._prompt_tokens = prompt_tokens
        self.completion_id = new_completion_id()

    async def __call__(
        self, target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
    ) -> ChunkStream:
        upstream = adapter.build_request(target, self._request, stream=True)
        resp = await open_stream(self._session, upstream, timeout_s, deadline)
        if resp.status >= 400:
            try:
                body = await resp.read_body()
            finally:
                resp.close()
            raise adapter.classify_error(resp.status, resp.headers, body)
        return ChunkStream(
            resp,
            adapter.stream_decoder(target),
            Meter(self._prompt_tokens),
            _Rewrite(self.completion_id, target.model, self._wants_usage),
            timeout_s,
            deadline,
        )


@dataclass(frozen=True, slots=True)
class _Rewrite:
    completion_id: str
    model: str
    wants_usage: bool


@dataclass(slots=True)
class Meter:
    """What a stream has produced so far, kept up to date chunk by chunk, so that it is
    billed however it ends: completed, cut by the upstream, left by the client or ended
    by shutdown. The provider bills the account for the prompt and every token it
    generated, whether or not the client read them; so do we.

    ``usage`` is the upstream's own count when it sent one; until then the completion is
    counted from the text that passed through (four characters a token, as
    :func:`~gate_service.routing.cost.counted_usage`), and the prompt is estimated."""

    prompt_tokens: int
    chars: int = 0
    usage: Usage | None = None

    def final_usage(self) -> Usage:
        return self.usage or counted_usage(self.prompt_tokens, self.chars)


class ChunkStream:
    """An upstream stream the provider accepted: batches of OpenAI chunks as they come."""

    def __init__(
        self,
        resp: StreamResponse,
        decoder: StreamDecoder,
        meter: Meter,
        rewrite: _Rewrite,
        idle_timeout_s: float,
        deadline: Deadline,
    ) -> None:
        self._resp = resp
        self._decoder = decoder
        self.meter = meter
        self._rewrite = rewrite
        self._idle_timeout_s = idle_timeout_s
        self._deadline = deadline

    @property
    def headers(self) -> Mapping[str, str]:
        return self._resp.headers

    def usage(self) -> Usage:
        return self.meter.final_usage()

    def close(self) -> None:
        self._resp.close()

    async def items(self) -> AsyncGenerator[Batch]:
        """The chunks that arrived together, one batch per read. A stream that ends
        without its end event (or a finishing chunk) was cut: ``CONNECTION``."""
        decoder, rw = self._decoder, self._rewrite
        finished = False
        async for payloads in self._resp.events(self._idle_timeout_s, self._deadline):
            batch: Batch = []
            broken: UpstreamFailure | None = None
            for data in payloads:
                try:
                    chunks = decoder.feed(data)
                except UpstreamFailure as exc:
                    # What arrived before the bad event is good: send it first.
                    broken = exc
                    break
                for chunk in chunks:
                    if chunk.usage is not None:
                        self.meter.usage = chunk.usage
                    self.meter.chars += text_length(chunk)
                    out = rewrite_chunk(chunk, rw.completion_id, rw.model, rw.wants_usage)
                    if out is not None:
                        finished = finished or any(c.finish_reason for c in out.choices)
                        batch.append(out)
                if decoder.done:
                    break
            if batch:
                yield batch
            if broken is not None:
                raise broken
            if decoder.done:
                break
        if not (decoder.done or finished):
            raise UpstreamFailure(FailureKind.CONNECTION, 502, "upstream stream ended early")


def text_length(chunk: Chunk) -> int:
    """Characters of generated text in a chunk (content, reasoning, tool arguments)."""
    total = 0
    for choice in chunk.choices:
        delta = choice.delta
        total += len(delta.content or "") + len(delta.reasoning_content or "")
        for call in delta.tool_calls:
            total += len((call.function.arguments if call.function else None) or "")
    return total

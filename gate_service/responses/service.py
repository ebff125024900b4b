"""The Responses API service: a Responses request served as one chat request.

Only what is the surface's own is here: reading the stored conversation a
``previous_response_id`` continues, translating (``translate.py``), and shaping the answer
(``answer.py``) or the event stream (``events.py``). Routing, admission, the cache, the
ledger record (kind "response") and settlement are the chat service's and the pipeline's,
exactly as for ``/chat/completions``.

**When a stored response is written**: after the answer is complete and before it is
returned (the last event of a stream is sent after the write), so a ``GET`` right after
the answer always finds it, on any replica. The write runs in a worker thread, so
the event loop never waits on the database, and in groups (``writer.py``: one transaction
for the responses that finished during the previous one); the request waits for its
group's commit. ``store: false`` skips it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from gate_service.auth.principal import Principal
from gate_service.chat.service import ChatService
from gate_service.chat.validation import DEFAULT_MAX_DEPTH, validate_chat_request
from gate_service.domain import Json
from gate_service.errors import GateError
from gate_service.prompts.apply import names_prompt
from gate_service.proto_convert.request import Reader, options_to_domain
from gate_service.proto_convert.request_json import options_to_proto
from gate_service.responses.answer import completion_to_response
from gate_service.responses.events import Event, EventWriter
from gate_service.responses.store import ResponseStore, Stored
from gate_service.responses.translate import ResponsesRequest, new_id, previous_id, translate
from gate_service.responses.writer import GroupWriter
from gate_service.routing.outcome import RequestContext

if TYPE_CHECKING:
    from gate_service.prompts.service import PromptService

Events = tuple[dict[str, str] | None, list[Event]]


def not_found(response_id: str, param: str | None = None) -> GateError:
    return GateError("not_found", f"No response with id '{response_id}' found.", param=param)


class ResponsesService:
    def __init__(
        self,
        chat: ChatService,
        store: ResponseStore,
        *,
        max_depth: int = DEFAULT_MAX_DEPTH,
        prompts: PromptService | None = None,
    ) -> None:
        self.chat = chat
        self.prompts = prompts
        self.store = store
        self.writer = GroupWriter(store)
        self.max_depth = max_depth

    async def prepare(self, client_id: str, body: Json) -> tuple[ResponsesRequest, list[Json]]:
        """The translated, validated request and the conversation it continues."""
        context: list[Json] = []
        if (previous := previous_id(body)) is not None:
            stored = await asyncio.to_thread(self.store.get, client_id, previous)
            if stored is None:
                raise not_found(previous, "previous_response_id")
            context = stored.conversation
        request = translate(body, context)
        if request.spidergate_options is not None:
            proto = options_to_proto(request.spidergate_options)
            request.chat.options = options_to_domain(proto, Reader(self.max_depth))
        if self.prompts is not None and names_prompt(request.chat):
            # A saved prompt (``prompt``), applied as chat applies it (prompts/apply.py).
            await self.prompts.apply(client_id, request.chat)
        validate_chat_request(request.chat)
        return request, context

    async def create(
        self,
        principal: Principal,
        ctx: RequestContext,
        request: ResponsesRequest,
        context: list[Json],
    ) -> tuple[Json, dict[str, str]]:
        request.chat.stream = None
        completion, headers = await self.chat.complete(principal, ctx, request.chat)
        response = completion_to_response(
            completion, new_id("resp"), int(time.time()), request.echo
        )
        await self._save(principal, response, request, context)
        return response, headers

    async def stream(
        self,
        principal: Principal,
        ctx: RequestContext,
        request: ResponsesRequest,
        context: list[Json],
    ) -> AsyncGenerator[Events]:
        writer = EventWriter(new_id("resp"), int(time.time()), request.chat.model, request.echo)
        started = False
        # aclosing: a client that leaves closes the chat stream first (it bills what ran).
        async with contextlib.aclosing(self.chat.stream(principal, ctx, request.chat)) as batches:
            async for headers, chunks in batches:
                events = [] if started else writer.start(chunks)
                started = True
                for chunk in chunks:
                    events.extend(writer.feed(chunk))
                yield headers, events
        events = [] if started else writer.start()
        events.extend(writer.finish())
        await self._save(principal, writer.completed, request, context)
        yield None, events

    async def _save(
        self, principal: Principal, response: Json, request: ResponsesRequest, context: list[Json]
    ) -> None:
        if request.store:
            row = self.store.row(principal.client_id, response, request.input_items, context)
            await self.writer.save(row)

    async def get(self, client_id: str, response_id: str) -> Stored:
        stored = await asyncio.to_thread(self.store.get, client_id, response_id)
        if stored is None:
            raise not_found(response_id)
        return stored

    async def delete(self, client_id: str, response_id: str) -> None:
        if not await asyncio.to_thread(self.store.delete, client_id, response_id):
            raise not_found(response_id)


def input_items_page(items: list[Json], limit: int, order: str, after: str, before: str) -> Json:
    """A cursor page of input items, as OpenAI's list object (``desc`` by default)."""
    ordered = list(reversed(items)) if order != "asc" else list(items)
    ids = [item.get("id") for item in ordered]
    if after and after in ids:
        ordered = ordered[ids.index(after) + 1 :]
        ids = [item.get("id") for item in ordered]
    if before and before in ids:
        ordered = ordered[: ids.index(before)]
    page = ordered[:limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0].get("id") if page else None,
        "last_id": page[-1].get("id") if page else None,
        "has_more": len(ordered) > len(page),
    }

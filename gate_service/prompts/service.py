"""Saved prompts on behalf of a brand: CRUD with validation, and applying a prompt a
request names (``apply.py``) with the reads and writes that takes kept off the request
path as far as they can be.

**Reads on the request path**: a prompt a request names is read once from the database
(one primary-key or unique-index read, in a worker thread) and then served from a small
in-process cache for ``cache_ttl_s`` (5 s, as the authentication cache): a burst of
requests naming one prompt costs one read. A write through this process empties its
cache at once; another replica sees the change within the TTL. A missing prompt is never
cached (one created on another replica is usable at once).

**``last_used_at`` is written behind**: a use is noted in memory (the latest time per
prompt) and the notes are written in one transaction every ``flush_interval_s`` (2 s) by
a background task, and at shutdown; a request never waits for it. A failed flush keeps
its notes for the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from gate_service.domain import ChatRequest
from gate_service.errors import GateError, invalid
from gate_service.prompts import validation as check
from gate_service.prompts.apply import Reference, apply, take_reference
from gate_service.prompts.records import (
    MAX_LIMIT,
    NewPrompt,
    PromptPage,
    PromptPatch,
    PromptQuery,
    PromptView,
)
from gate_service.prompts.store import Content, PromptStore
from gate_service.storage.models import utcnow
from gate_service.storage.text import check_storable

log = logging.getLogger("spidergate.prompts")

CACHE_TTL_S = 5.0
CACHE_SIZE = 1024
FLUSH_INTERVAL_S = 2.0
MAX_QUERY = 200


def not_found(prompt_id: str, param: str | None = None) -> GateError:
    return GateError("not_found", f"No prompt '{prompt_id}' found.", param=param)


def check_query(query: PromptQuery) -> PromptQuery:
    if not 1 <= query.limit <= MAX_LIMIT:
        raise invalid(f"'limit' must be between 1 and {MAX_LIMIT}", "limit")
    if query.offset < 0:
        raise invalid("'offset' must be at least 0", "offset")
    project = None if query.project_id is None else check.clean_project(query.project_id)
    return replace(query, project_id=project)


class PromptService:
    def __init__(
        self,
        store: PromptStore,
        *,
        cache_ttl_s: float = CACHE_TTL_S,
        flush_interval_s: float = FLUSH_INTERVAL_S,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._ttl = cache_ttl_s
        self._flush_interval = flush_interval_s
        self._clock = clock
        self._monotonic = monotonic
        self._cache: OrderedDict[tuple[Any, ...], tuple[float, PromptView]] = OrderedDict()
        self._used: dict[str, datetime] = {}
        self._flusher: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._flush_interval > 0:
            self._flusher = asyncio.create_task(self._flush_loop(), name="prompt-usage")

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self._flush_interval)
            await self.flush()

    async def flush(self) -> None:
        """Write the uses noted since the last flush (one transaction)."""
        if not self._used:
            return
        batch, self._used = self._used, {}
        try:
            await asyncio.to_thread(self.store.touch, batch)
        except Exception as exc:
            log.warning("prompts: recording last use failed (%s); retrying", type(exc).__name__)
            for prompt_id, when in batch.items():
                if prompt_id not in self._used or self._used[prompt_id] < when:
                    self._used[prompt_id] = when

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.flush()

    # ------------------------------------------------------------------ writes

    async def create(self, client_id: str, new: NewPrompt) -> PromptView:
        project = check.clean_project(new.project_id)
        system_prompt = check.clean_system_prompt(new.system_prompt)
        content = Content(
            name=check.clean_name(new.name),
            description=check.clean_description(new.description),
            system_prompt=system_prompt,
            model=check.clean_model(new.model),
            settings=check.check_settings(new.settings),
            variables=check.check_variables(new.variables, system_prompt),
        )
        view = await asyncio.to_thread(self.store.create, client_id, project, content)
        self._cache.clear()
        return view

    async def update(self, client_id: str, prompt_id: str, patch: PromptPatch) -> PromptView:
        """A new version with the fields of ``patch`` changed; a patch that changes
        nothing is a 400 (a version per real change)."""
        if patch.empty:
            raise invalid("nothing to change: send at least one field")
        cleaned = PromptPatch(
            name=None if patch.name is None else check.clean_name(patch.name),
            description=None
            if patch.description is None
            else check.clean_description(patch.description),
            system_prompt=None
            if patch.system_prompt is None
            else check.clean_system_prompt(patch.system_prompt),
            model=None if patch.model is None else check.clean_model(patch.model),
            settings=None if patch.settings is None else check.check_settings(patch.settings),
            variables=patch.variables,
        )

        def change(current: PromptView) -> Content:
            system_prompt = cleaned.system_prompt
            if system_prompt is None:
                system_prompt = current.system_prompt
            if cleaned.variables is not None:
                declared: tuple[str, ...] | None = cleaned.variables or None
            elif cleaned.system_prompt is not None:
                declared = None  # a new system prompt: its own placeholders
            else:
                declared = current.variables
            return Content(
                name=current.name if cleaned.name is None else cleaned.name,
                description=current.description
                if cleaned.description is None
                else cleaned.description,
                system_prompt=system_prompt,
                model=current.model if cleaned.model is None else cleaned.model,
                settings=current.settings if cleaned.settings is None else cleaned.settings,
                variables=check.check_variables(declared, system_prompt),
            )

        view = await asyncio.to_thread(self.store.update, client_id, prompt_id, change)
        self._cache.clear()
        if view is None:
            raise not_found(prompt_id)
        return view

    async def delete(self, client_id: str, prompt_id: str) -> None:
        deleted = await asyncio.to_thread(self.store.delete, client_id, prompt_id)
        self._cache.clear()
        if not deleted:
            raise not_found(prompt_id)

    # ------------------------------------------------------------------ reads

    async def get(self, client_id: str, prompt_id: str, version: int | None = None) -> PromptView:
        if version is not None and version < 1:
            raise invalid("'version' must be at least 1", "version")
        view = await asyncio.to_thread(self.store.get, client_id, prompt_id, version)
        if view is None:
            current = None
            if version is not None:
                current = await asyncio.to_thread(self.store.get, client_id, prompt_id, None)
            if current is not None:
                raise GateError(
                    "not_found", f"Prompt '{prompt_id}' has no version {version}.", param="version"
                )
            raise not_found(prompt_id)
        return view

    async def list(self, client_id: str, query: PromptQuery) -> PromptPage:
        query = check_query(query)
        if query.text is not None:
            text = query.text.strip()
            if not text or len(text) > MAX_QUERY:
                raise invalid(f"'q' must be 1-{MAX_QUERY} characters", "q")
            query = replace(query, text=check_storable(text, "q"))
        return await asyncio.to_thread(self.store.list, client_id, query)

    # ------------------------------------------------------------------ the request path

    async def apply(self, client_id: str, request: ChatRequest) -> None:
        """Apply the prompt the request names, if any (``apply.py``): a 404 for a prompt
        the brand does not have, a 400 for a malformed reference or a missing variable."""
        reference = take_reference(request)
        if reference is None:
            return
        prompt = await self._resolve(client_id, reference)
        apply(request, prompt, reference.variables)
        self._used[prompt.id] = self._clock()

    async def _resolve(self, client_id: str, ref: Reference) -> PromptView:
        key = (client_id, ref.prompt_id, ref.project_id, ref.name, ref.version)
        now = self._monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            self._cache.move_to_end(key)
            return cached[1]
        if ref.prompt_id is not None:
            view = await asyncio.to_thread(self.store.get, client_id, ref.prompt_id, ref.version)
            shown = ref.prompt_id
        else:
            assert ref.project_id is not None and ref.name is not None
            view = await asyncio.to_thread(self.store.by_name, client_id, ref.project_id, ref.name)
            if view is not None and ref.version is not None and ref.version != view.version:
                view = await asyncio.to_thread(self.store.get, client_id, view.id, ref.version)
            shown = f"{ref.project_id}/{ref.name}"
        if view is None:
            suffix = f" (version {ref.version})" if ref.version is not None else ""
            raise GateError("not_found", f"No prompt '{shown}'{suffix} found.", param="prompt")
        self._cache[key] = (now + self._ttl, view)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return view

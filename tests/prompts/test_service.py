"""``PromptService`` over a real database (SQLite and PostgreSQL): versions and
validation through the store, the request-path cache (its TTL moved by an injected
clock, emptied by a write) and ``last_used_at`` written behind in batches."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from gate_service.auth.identity import IdentityStore
from gate_service.domain import ChatRequest, Message
from gate_service.errors import GateError
from gate_service.prompts.records import NewPrompt, PromptPatch, PromptQuery
from gate_service.prompts.service import PromptService
from gate_service.prompts.store import Content, PromptStore
from gate_service.storage.database import Database


class Clock:
    def __init__(self) -> None:
        self.mono = 0.0
        self.now = datetime(2026, 12, 1, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.mono

    def wall(self) -> datetime:
        return self.now


@pytest.fixture
def setup(db: Database) -> tuple[PromptService, PromptStore, Clock, str]:
    client_id = IdentityStore(db).create_brand("acme")[0].client_id
    store, clock = PromptStore(db), Clock()
    service = PromptService(
        store, cache_ttl_s=5, flush_interval_s=0, clock=clock.wall, monotonic=clock.monotonic
    )
    return service, store, clock, client_id


def chat(ref: str) -> ChatRequest:
    return ChatRequest(
        model="", messages=[Message(role="user", content="hi")], extra={"prompt": ref}
    )


def test_cache_ttl_and_invalidation(setup: tuple[PromptService, PromptStore, Clock, str]) -> None:
    service, store, clock, client_id = setup

    async def main() -> None:
        p = await service.create(client_id, NewPrompt(name="a", system_prompt="one", model="m1"))
        first = chat(f"prompt:{p.id}")
        await service.apply(client_id, first)
        assert first.messages[0].content == "one" and first.model == "m1"
        # Changed behind this process's back (another replica): served from the cache
        # until the TTL passes.
        await asyncio.to_thread(
            store.update,
            client_id,
            p.id,
            lambda v: Content(v.name, v.description, "two", v.model, v.settings, v.variables),
        )
        cached = chat(f"prompt:{p.id}")
        await service.apply(client_id, cached)
        assert cached.messages[0].content == "one"
        clock.mono += 5.1
        fresh = chat(f"prompt:{p.id}")
        await service.apply(client_id, fresh)
        assert fresh.messages[0].content == "two"
        # A write through this service empties the cache at once.
        await service.update(client_id, p.id, PromptPatch(system_prompt="three"))
        now = chat(f"prompt:{p.id}")
        await service.apply(client_id, now)
        assert now.messages[0].content == "three"
        await service.delete(client_id, p.id)
        with pytest.raises(GateError) as caught:
            await service.apply(client_id, chat(f"prompt:{p.id}"))
        assert caught.value.code == "not_found" and caught.value.param == "prompt"

    asyncio.run(main())


def test_last_used_is_written_behind(
    setup: tuple[PromptService, PromptStore, Clock, str],
) -> None:
    service, store, clock, client_id = setup

    async def main() -> None:
        p = await service.create(client_id, NewPrompt(name="a", system_prompt="x"))
        await service.apply(client_id, chat(f"prompt:{p.id}"))
        assert (await service.get(client_id, p.id)).last_used_at is None  # not yet written
        await service.flush()
        used = (await service.get(client_id, p.id)).last_used_at
        assert used is not None and used == clock.now
        # An older note never replaces a newer time.
        await asyncio.to_thread(store.touch, {p.id: clock.now - timedelta(days=1)})
        assert (await service.get(client_id, p.id)).last_used_at == clock.now
        clock.now += timedelta(minutes=1)
        await service.apply(client_id, chat(f"prompt:{p.id}"))
        await service.close()  # shutdown flushes what is noted
        assert (await service.get(client_id, p.id)).last_used_at == clock.now

    asyncio.run(main())


def test_versions_by_name_and_pages(setup: tuple[PromptService, PromptStore, Clock, str]) -> None:
    service, _, _, client_id = setup

    async def main() -> None:
        p = await service.create(
            client_id, NewPrompt(name="n", project_id="proj", system_prompt="v1 {{x}}")
        )
        await service.update(client_id, p.id, PromptPatch(system_prompt="v2"))
        assert (await service.get(client_id, p.id)).variables == ()  # derived again
        assert (await service.get(client_id, p.id, 1)).variables == ("x",)
        req = ChatRequest(
            model="m",
            messages=[Message(role="user", content="hi")],
            extra={
                "prompt": {"id": "prompt.n", "version": 1},
                "project_id": "proj",
                "prompt_variables": {"x": "X"},
            },
        )
        await service.apply(client_id, req)
        assert req.messages[0].content == "v1 X"
        with pytest.raises(GateError):
            await service.get(client_id, p.id, 3)
        with pytest.raises(GateError):
            await service.update(client_id, p.id, PromptPatch())
        page = await service.list(client_id, PromptQuery(limit=1, text="V2"))
        assert [v.id for v in page.prompts] == [p.id] and not page.has_more
        with pytest.raises(GateError) as caught:
            await service.list(client_id, PromptQuery(text=" "))
        assert caught.value.param == "q"

    asyncio.run(main())

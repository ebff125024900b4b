"""Client alias management on behalf of a brand: the checks, the store, and the refresh
that makes a change live.

Every change re-reads the routing snapshot at once (``refresh``, the core's), so the next
request in this process sees it; other replicas see it on their periodic refresh
(``refresh_interval_s``, 5 s by default): a reload on a short timer, not a notification.

A listing shows, per slot, what the brand needs to judge its chain without opening the
vault: the key's label and whether it is active, and the model's cost type (``free``: a
free-tier model of the catalog; ``paid``; ``unknown``: a model the catalog does not list).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from gate_service.catalog.snapshot import Catalog
from gate_service.client_aliases import validation as check
from gate_service.client_aliases.records import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    AliasPage,
    AliasPatch,
    AliasView,
    ClientAlias,
    KeyStatus,
    NewAlias,
    Slot,
    SlotInput,
    SlotView,
)
from gate_service.client_aliases.store import ClientAliasStore
from gate_service.errors import invalid

if TYPE_CHECKING:
    from gate_service.core import Core

__all__ = ["ClientAliasManager"]

log = logging.getLogger("spidergate.client_aliases")


async def _nothing() -> None:
    """Nothing to refresh (a CLI process has no routing snapshot)."""


class ClientAliasManager:
    """The operations of ``/client-aliases``, ``ClientAliasService`` and the CLI."""

    def __init__(
        self,
        store: ClientAliasStore,
        *,
        catalog: Callable[[], Catalog],
        refresh: Callable[[], Awaitable[None]] = _nothing,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._refresh = refresh

    @classmethod
    def for_core(cls, core: Core) -> ClientAliasManager:
        return cls(core.client_alias_store, catalog=lambda: core.catalog, refresh=core.refresh)

    async def _changed(self) -> None:
        try:
            await self._refresh()
        except Exception:
            # The change is stored; the periodic refresh will pick it up.
            log.warning("client aliases: refreshing the routing snapshot after a change failed")

    async def _slots(self, client_id: str, slots: Iterable[SlotInput]) -> tuple[Slot, ...]:
        given = tuple(slots)
        check.check_slot_shape(given)
        keys = await asyncio.to_thread(self._store.key_statuses, [s.key_id for s in given])
        return check.resolve_slots(given, client_id, keys, self._catalog())

    # ------------------------------------------------------------------ writes

    async def create(self, client_id: str, new: NewAlias) -> AliasView:
        leaf = check.clean_leaf(new.leaf)
        description = check.clean_description(new.description)
        slots = await self._slots(client_id, new.slots)
        alias = await asyncio.to_thread(
            self._store.create, client_id, leaf, description, new.enabled, slots
        )
        await self._changed()
        return await self._view(alias)

    async def update(self, client_id: str, leaf: str, patch: AliasPatch) -> AliasView:
        """Change what the patch sets; ``slots``, when sent, replace the whole chain."""
        leaf = check.known_leaf(leaf)
        description = check.clean_description(patch.description)
        clear = patch.clear_description or (patch.description is not None and description is None)
        slots = None if patch.slots is None else await self._slots(client_id, patch.slots)
        cleaned = AliasPatch(
            description=description, clear_description=clear, enabled=patch.enabled
        )
        alias = await asyncio.to_thread(self._store.update, client_id, leaf, cleaned, slots)
        await self._changed()
        return await self._view(alias)

    async def delete(self, client_id: str, leaf: str) -> ClientAlias:
        alias = await asyncio.to_thread(self._store.delete, client_id, check.known_leaf(leaf))
        await self._changed()
        return alias

    # ------------------------------------------------------------------ reads

    async def get(self, client_id: str, leaf: str) -> AliasView:
        alias = await asyncio.to_thread(self._store.get, client_id, check.known_leaf(leaf))
        return await self._view(alias)

    async def list_aliases(
        self, client_id: str, limit: int = DEFAULT_LIMIT, offset: int = 0
    ) -> AliasPage:
        if not 1 <= limit <= MAX_LIMIT:
            raise invalid(f"limit must be an integer between 1 and {MAX_LIMIT}", "limit")
        if offset < 0:
            raise invalid("offset must be an integer of at least 0", "offset")
        aliases, more = await asyncio.to_thread(self._store.page, client_id, limit, offset)
        views = await self._views(aliases)
        return AliasPage(views, more)

    async def _view(self, alias: ClientAlias) -> AliasView:
        return (await self._views([alias]))[0]

    async def _views(self, aliases: list[ClientAlias]) -> list[AliasView]:
        """The aliases with their keys' labels and states (one query for the page)."""
        named = [s.key_id for a in aliases for s in a.slots]
        keys = await asyncio.to_thread(self._store.key_statuses, named)
        catalog = self._catalog()
        return [
            AliasView(
                a, tuple(_slot_view(s, keys.get(s.key_id), catalog, a.client_id) for s in a.slots)
            )
            for a in aliases
        ]


def _slot_view(slot: Slot, key: KeyStatus | None, catalog: Catalog, client_id: str) -> SlotView:
    """A slot as shown; a key no longer the brand's shows as an inactive, unlabelled one."""
    mine = key is not None and not key.deleted and key.client_id == client_id
    model = catalog.model(f"{slot.provider}/{slot.model}")
    if model is None:
        cost = "unknown"
    elif model.free_tier or (model.input_per_million == 0 and model.output_per_million == 0):
        cost = "free"
    else:
        cost = "paid"
    return SlotView(
        slot=slot,
        key_label=key.label if mine and key is not None else "",
        key_active=bool(mine and key is not None and key.active),
        cost_type=cost,
    )

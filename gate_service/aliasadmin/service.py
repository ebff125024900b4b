"""Platform alias administration: what the operator's API and the CLI do.

Reads show the alias as this replica serves it (its catalog snapshot) with its history
from the database. A change is checked against the catalog first (400 for a malformed
chain, 422 ``chain_rejected`` listing every slot that can never serve the alias), then
written with its history row in one transaction that also announces it to the other
replicas (:mod:`gate_service.catalog.changes`); this process reloads at once. A dry run
(:mod:`gate_service.aliasadmin.probe`) changes nothing and bills nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from gate_service.aliasadmin import history as store
from gate_service.aliasadmin.probe import ChainProber
from gate_service.aliasadmin.slots import ProbedTools, check_chain
from gate_service.catalog.changes import CatalogChanges
from gate_service.catalog.schema import AliasInfo
from gate_service.catalog.snapshot import Catalog
from gate_service.catalog.tool_calling import is_tool_alias
from gate_service.domain.alias_admin import (
    MAX_REASON,
    AdminAlias,
    ChainChange,
    HistoryEntry,
    Rollback,
    Validation,
)
from gate_service.errors import GateError, invalid
from gate_service.storage.database import Database


def _view(alias: AliasInfo, entries: list[HistoryEntry]) -> AdminAlias:
    live = max((e.version for e in entries if e.chain == alias.chain), default=0)
    return AdminAlias(
        id=alias.id,
        kind=alias.kind,
        use_case=alias.use_case,
        requires=alias.requires,
        tool_alias=is_tool_alias(alias),
        chain=alias.chain,
        falls_through_to=alias.falls_through_to,
        pii_safe=alias.pii_safe,
        version=live,
        history=tuple(sorted(entries, key=lambda e: -e.version)),
    )


def _reason(text: str) -> str:
    if len(text) > MAX_REASON:
        raise invalid(f"'reason' holds at most {MAX_REASON} characters", "reason")
    return text


class AliasAdmin:
    """The operator's alias operations over one database and catalog snapshot."""

    def __init__(
        self,
        db: Database,
        *,
        catalog: Callable[[], Catalog],
        prober: ChainProber,
        changes: CatalogChanges,
        reload: Callable[[], Awaitable[None]],
        probed: ProbedTools | None = None,
    ) -> None:
        self._db = db
        # What probes measured about tool calling, which overrules the catalog.
        self._probed: ProbedTools = probed or (lambda model_id: None)
        self._catalog = catalog
        self._prober = prober
        self._changes = changes
        self._reload = reload

    def _alias(self, alias_id: str) -> AliasInfo:
        alias = self._catalog().alias(alias_id) if alias_id else None
        if alias is None:
            raise GateError("not_found", f"alias '{alias_id}' not found", param="alias_id")
        return alias

    async def list_aliases(self) -> list[AdminAlias]:
        """Every alias, in catalog order, with its history."""
        entries = await asyncio.to_thread(store.history, self._db.session_factory())
        by_alias: dict[str, list[HistoryEntry]] = {}
        for entry in entries:
            by_alias.setdefault(entry.alias_id, []).append(entry)
        return [_view(a, by_alias.get(a.id, [])) for a in self._catalog().aliases]

    async def get(self, alias_id: str) -> AdminAlias:
        alias = self._alias(alias_id)
        entries = await asyncio.to_thread(store.history, self._db.session_factory(), alias.id)
        return _view(alias, entries)

    async def validate(self, change: ChainChange) -> Validation:
        """Probe every slot of the proposed chain; nothing changes."""
        catalog = self._catalog()
        alias = self._alias(change.alias_id)
        check_chain(catalog, alias, change.chain, self._probed)
        return await self._prober.validate(catalog, alias, change.chain)

    async def replace(self, change: ChainChange, actor: str) -> AdminAlias:
        """Make ``change.chain`` the live chain on every replica; a history row."""
        alias = self._alias(change.alias_id)
        check_chain(self._catalog(), alias, change.chain, self._probed)
        await self._write(alias.id, change, actor, _reason(change.reason))
        return await self.get(alias.id)

    async def rollback(self, rollback: Rollback, actor: str) -> AdminAlias:
        """Restore the chain of a history row of this alias; a new history row."""
        alias = self._alias(rollback.alias_id)
        reason = _reason(rollback.reason)
        found = await asyncio.to_thread(
            store.entry, self._db.session_factory(), rollback.history_id
        )
        if found is None or found.alias_id != alias.id:
            raise GateError(
                "not_found",
                f"history row {rollback.history_id} of alias '{alias.id}' not found",
                param="history_id",
            )
        check_chain(self._catalog(), alias, found.chain, self._probed)
        note = f"rollback to version {found.version}" + (f": {reason}" if reason else "")
        await self._write(alias.id, ChainChange(alias.id, found.chain), actor, note)
        return await self.get(alias.id)

    async def _write(self, alias_id: str, change: ChainChange, actor: str, reason: str) -> None:
        await asyncio.to_thread(
            store.write_chain,
            self._db.session_factory(),
            alias_id,
            change.chain,
            actor=actor,
            reason=reason,
            announce=self._changes.announce_in,
        )
        await self._changes.announced()
        await self._reload()

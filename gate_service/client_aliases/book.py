"""The client aliases routing reads: an in-memory snapshot, swapped whole on refresh.

Planning does no I/O, so every alias and the status of every key a slot names are held
here, reloaded by the core's ``refresh``: at once after a change made through this process
(the manager calls it) and every ``refresh_interval_s`` (5 s) otherwise, which is how a
change made on another replica or by the CLI arrives.

A chain is built only for the caller's own brand: another brand's alias resolves to
nothing, so the request answers ``model_not_found`` exactly as for a missing one. Each
slot becomes one candidate pinned to its key (``ChainItem.key_id``); a slot that cannot
serve (the alias or the slot disabled, the key inactive or deleted) stays in the chain
with its verdict (``ChainItem.refused``), so a 422 lists every slot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gate_service.catalog.snapshot import Catalog
from gate_service.client_aliases.records import ClientAlias, KeyStatus, split_model
from gate_service.routing.resolve import ChainItem

ALIAS_DISABLED = "client alias is disabled"
SLOT_DISABLED = "slot is disabled"
KEY_INACTIVE = "key is inactive"
KEY_GONE = "key was deleted"


class ClientAliasBook:
    """Every brand's aliases by (client_id, leaf), and the keys their slots name."""

    def __init__(self) -> None:
        self._aliases: dict[tuple[str, str], ClientAlias] = {}
        self._keys: dict[str, KeyStatus] = {}

    def replace(self, aliases: Iterable[ClientAlias], keys: Mapping[str, KeyStatus]) -> None:
        """Install a new snapshot (readers holding the old tables keep a consistent view)."""
        self._aliases = {(a.client_id, a.leaf): a for a in aliases}
        self._keys = dict(keys)

    def find(self, name: str, client_id: str | None) -> ClientAlias | None:
        """The alias ``name`` (``client:<client_id>/<leaf>``) if it is the caller's."""
        parts = split_model(name)
        if parts is None or client_id is None or parts[0] != client_id:
            return None
        return self._aliases.get(parts)

    def exists(self, name: str) -> bool:
        """Whether ``name`` is a client alias of any brand (the ledger's ``alias``)."""
        parts = split_model(name)
        return parts is not None and parts in self._aliases

    def chain(self, catalog: Catalog, name: str, client_id: str | None) -> list[ChainItem] | None:
        """The caller's alias ``name`` as candidates pinned to their keys; None when the
        caller has no such alias."""
        alias = self.find(name, client_id)
        if alias is None:
            return None
        items = []
        for slot in alias.slots:
            provider = catalog.provider(slot.provider)
            if provider is None:
                continue  # a provider since removed from the catalog: nothing to call
            items.append(
                ChainItem(
                    provider,
                    slot.model,
                    catalog.model(f"{slot.provider}/{slot.model}"),
                    via_alias=name,
                    key_id=slot.key_id,
                    refused=self._verdict(alias, slot.enabled, slot.key_id),
                )
            )
        return items

    def _verdict(self, alias: ClientAlias, slot_enabled: bool, key_id: str) -> str:
        """Why a slot cannot serve, as far as the snapshot knows; "" when it may."""
        if not alias.enabled:
            return ALIAS_DISABLED
        if not slot_enabled:
            return SLOT_DISABLED
        key = self._keys.get(key_id)
        if key is None or key.deleted or key.client_id != alias.client_id:
            return KEY_GONE
        if not key.active:
            return KEY_INACTIVE
        return ""

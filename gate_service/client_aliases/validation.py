"""The checks of a client alias, once, in the core: its shape (400 naming the field), then
its slots against the brand's keys and the catalog (422 ``invalid_alias_slot`` naming the
slot's field).

A slot may only name a key of the caller's brand: a pool key is refused by name (pool keys
are visible to brands, so saying so leaks nothing), and another brand's key answers
exactly as an unknown id, so an id never tells whether it exists elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from gate_service.catalog.snapshot import Catalog
from gate_service.client_aliases.records import (
    MAX_DESCRIPTION,
    MAX_LEAF,
    MAX_SLOTS,
    KeyStatus,
    Slot,
    SlotInput,
)
from gate_service.errors import GateError, invalid
from gate_service.storage.text import check_storable

_LEAF = re.compile(rf"[a-z0-9_-]{{1,{MAX_LEAF}}}")


def clean_leaf(leaf: str, param: str = "name") -> str:
    """The alias's name as given: lowercase ``a-z0-9``, ``-``, ``_``, 1-64 characters."""
    if not _LEAF.fullmatch(leaf):
        raise invalid(
            f"'{param}' must be 1-{MAX_LEAF} characters of lowercase a-z, 0-9, '-' and '_'",
            param,
        )
    return leaf


def known_leaf(leaf: str) -> str:
    """The name of an alias to read, change or delete: one that cannot exist (not a valid
    name) answers 404 as a missing one does, before any query."""
    if not _LEAF.fullmatch(leaf):
        raise GateError("not_found", "No such client alias in this brand.", param="name")
    return leaf


def not_found(leaf: str) -> GateError:
    return GateError("not_found", f"No client alias '{leaf}' in this brand.", param="name")


def clean_description(text: str | None) -> str | None:
    """At most 500 characters, no control characters; empty means none."""
    if text is None:
        return None
    if len(text) > MAX_DESCRIPTION:
        raise invalid(f"'description' must be at most {MAX_DESCRIPTION} characters", "description")
    return check_storable(text, "description") or None


def check_slot_shape(slots: Sequence[SlotInput]) -> None:
    """1-16 slots, each naming a key and a model."""
    if not 1 <= len(slots) <= MAX_SLOTS:
        raise invalid(f"'slots' must hold 1-{MAX_SLOTS} slots, got {len(slots)}", "slots")
    for i, slot in enumerate(slots):
        if not slot.key_id:
            raise invalid(f"'slots[{i}].key_id' is required", f"slots[{i}].key_id")
        if not slot.model:
            raise invalid(f"'slots[{i}].model' is required", f"slots[{i}].model")
        check_storable(slot.key_id, f"slots[{i}].key_id")
        check_storable(slot.model, f"slots[{i}].model")
        if slot.provider is not None:
            check_storable(slot.provider, f"slots[{i}].provider")


def _refuse(message: str, param: str) -> GateError:
    return GateError("invalid_alias_slot", message, param=param)


def resolve_slots(
    slots: Sequence[SlotInput],
    client_id: str,
    keys: Mapping[str, KeyStatus],
    catalog: Catalog,
) -> tuple[Slot, ...]:
    """The slots to store: each on a key of the brand, of that key's provider, for a model
    the catalog knows for it (or any model, for a provider that serves any)."""
    check_slot_shape(slots)
    out = []
    for i, given in enumerate(slots):
        key = keys.get(given.key_id)
        if key is not None and key.client_id is None and not key.deleted:
            raise _refuse(
                f"slots[{i}]: key '{given.key_id}' is a pool key; a client alias may only use"
                " the brand's own keys",
                f"slots[{i}].key_id",
            )
        if key is None or key.deleted or key.client_id != client_id:
            raise _refuse(
                f"slots[{i}]: no key '{given.key_id}' in this brand's vault",
                f"slots[{i}].key_id",
            )
        provider = given.provider or key.provider
        if provider != key.provider:
            raise _refuse(
                f"slots[{i}]: key '{key.id}' is a {key.provider} key, not {provider}",
                f"slots[{i}].provider",
            )
        model = given.model
        if model.startswith(f"{provider}/") and catalog.model(model) is not None:
            model = model[len(provider) + 1 :]  # a catalog id: the provider's own id
        info = catalog.provider(provider)
        known = catalog.model(f"{provider}/{model}") is not None
        if info is None or not (known or info.any_model):
            raise _refuse(
                f"slots[{i}]: the catalog has no model '{model}' for {provider}",
                f"slots[{i}].model",
            )
        out.append(Slot(key.id, provider, model, given.enabled))
    return tuple(out)

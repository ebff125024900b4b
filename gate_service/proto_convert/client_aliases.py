"""Client aliases: domain ⇄ proto for the servicer, JSON ⇄ proto for the bridge.

JSON uses the spec's names: ``name`` (the leaf), ``description``, ``enabled``, ``slots``
of ``{key_id, provider, model, enabled}``. In an update ``"description": null`` removes
the description and ``"slots"``, when present, replaces the whole chain. A value of the
wrong type or a field we do not know is a 400 naming it: an admin API should not guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gate_service.client_aliases.records import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    AliasPage,
    AliasPatch,
    AliasView,
    NewAlias,
    SlotInput,
)
from gate_service.errors import invalid
from gate_service.proto_convert.jsonvalues import as_bool, as_dict, as_list, as_str
from spidergate.v1 import client_aliases_pb2 as pb

_CREATE_FIELDS = frozenset({"name", "description", "enabled", "slots"})
_UPDATE_FIELDS = frozenset({"description", "enabled", "slots"})
_SLOT_FIELDS = frozenset({"key_id", "provider", "model", "enabled"})
_INTEGER = re.compile(r"[+-]?[0-9]{1,10}")

# ------------------------------------------------------------------ domain -> proto


def alias_to_proto(view: AliasView) -> pb.ClientAlias:
    a = view.alias
    return pb.ClientAlias(
        name=a.leaf,
        model=a.model,
        description=a.description,
        enabled=a.enabled,
        slots=[
            pb.AliasSlot(
                key_id=s.slot.key_id,
                provider=s.slot.provider,
                model=s.slot.model,
                enabled=s.slot.enabled,
                key_label=s.key_label,
                cost_type=s.cost_type,
                key_active=s.key_active,
            )
            for s in view.slots
        ],
        created=int(a.created_at.timestamp()),
        updated=int(a.updated_at.timestamp()),
    )


def page_to_proto(page: AliasPage) -> pb.ListClientAliasesResponse:
    return pb.ListClientAliasesResponse(
        aliases=[alias_to_proto(v) for v in page.aliases], has_more=page.has_more
    )


# ------------------------------------------------------------------ proto -> domain


def _slots_from_proto(slots: Any) -> tuple[SlotInput, ...]:
    return tuple(
        SlotInput(
            key_id=s.key_id,
            provider=s.provider or None,
            model=s.model,
            enabled=s.enabled if s.HasField("enabled") else True,
        )
        for s in slots
    )


def new_alias_from_proto(req: pb.CreateClientAliasRequest) -> NewAlias:
    return NewAlias(
        leaf=req.name,
        slots=_slots_from_proto(req.slots),
        description=req.description if req.HasField("description") else None,
        enabled=req.enabled if req.HasField("enabled") else True,
    )


def patch_from_proto(req: pb.UpdateClientAliasRequest) -> AliasPatch:
    return AliasPatch(
        description=req.description if req.HasField("description") else None,
        clear_description=req.clear_description,
        enabled=req.enabled if req.HasField("enabled") else None,
        slots=_slots_from_proto(req.slots) if req.replace_slots else None,
    )


def page_query_from_proto(req: pb.ListClientAliasesRequest) -> tuple[int, int]:
    """(limit, offset); a limit of 0 is the default."""
    return req.limit or DEFAULT_LIMIT, req.offset


# ------------------------------------------------------------------ JSON -> proto


def _slot_from_json(value: Any, i: int) -> pb.AliasSlot:
    where = f"slots[{i}]"
    body = as_dict(value, where)
    slot = pb.AliasSlot()
    for name, item in body.items():
        param = f"{where}.{name}"
        if name not in _SLOT_FIELDS:
            raise invalid(f"unknown field '{param}'", param)
        if item is None:
            continue
        if name == "enabled":
            slot.enabled = as_bool(item, param)
        else:
            setattr(slot, name, as_str(item, param))
    if not slot.key_id:
        raise invalid(f"'{where}.key_id' is required", f"{where}.key_id")
    return slot


def _fill(message: Any, body: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for name, value in body.items():
        if name not in allowed:
            if name == "name":
                raise invalid("an alias cannot be renamed: create a new one instead", name)
            raise invalid(f"unknown field '{name}'", name)
        if name == "slots":
            slots = [_slot_from_json(v, i) for i, v in enumerate(as_list(value, name))]
            message.slots.extend(slots)
            if isinstance(message, pb.UpdateClientAliasRequest):
                message.replace_slots = True
        elif name == "description":
            if value is None:
                if isinstance(message, pb.UpdateClientAliasRequest):
                    message.clear_description = True
            else:
                message.description = as_str(value, name)
        elif name == "enabled":
            if value is not None:
                message.enabled = as_bool(value, name)
        elif name == "name":
            message.name = as_str(value, name)


def create_request_from_json(body: Mapping[str, Any]) -> pb.CreateClientAliasRequest:
    message = pb.CreateClientAliasRequest()
    _fill(message, body, _CREATE_FIELDS)
    if "name" not in body:
        raise invalid("'name' is required", "name")
    if "slots" not in body:
        raise invalid("'slots' is required", "slots")
    return message


def update_request_from_json(leaf: str, body: Mapping[str, Any]) -> pb.UpdateClientAliasRequest:
    message = pb.UpdateClientAliasRequest(name=leaf)
    _fill(message, body, _UPDATE_FIELDS)
    return message


def _integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name, "").strip()
    if not value:
        return default
    if not _INTEGER.fullmatch(value) or not low <= int(value) <= high:
        raise invalid(f"{name} must be an integer between {low} and {high}, got {value!r}", name)
    return int(value)


def list_request_from_query(params: Mapping[str, str]) -> pb.ListClientAliasesRequest:
    return pb.ListClientAliasesRequest(
        limit=_integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_integer(params, "offset", 0, 0, 2**31 - 1),
    )


# ------------------------------------------------------------------ proto -> JSON


def alias_to_json(alias: pb.ClientAlias) -> dict[str, Any]:
    return {
        "object": "client_alias",
        "name": alias.name,
        "model": alias.model,
        "description": alias.description if alias.HasField("description") else None,
        "enabled": alias.enabled,
        "slots": [
            {
                "key_id": s.key_id,
                "provider": s.provider,
                "model": s.model,
                "enabled": s.enabled,
                "key_label": s.key_label,
                "cost_type": s.cost_type,
                "key_active": s.key_active,
            }
            for s in alias.slots
        ],
        "created": alias.created,
        "updated": alias.updated,
    }


def list_to_json(reply: pb.ListClientAliasesResponse) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [alias_to_json(a) for a in reply.aliases],
        "has_more": reply.has_more,
    }

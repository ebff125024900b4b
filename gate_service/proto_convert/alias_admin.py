"""Alias administration: JSON -> proto for the bridge, proto <-> domain for the servicer
and the bridge's answers, proto -> JSON for REST.

JSON uses the proto's field names; a chain is a list of ``{"provider", "model"}``
objects. A value of the wrong type, or a field we do not know, is a 400 naming it: an
admin API should not guess. Times are Unix seconds (``created``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gate_service.catalog.schema import Candidate
from gate_service.domain.alias_admin import (
    AdminAlias,
    Chain,
    ChainChange,
    HistoryEntry,
    Rollback,
    SlotVerdict,
    Validation,
)
from gate_service.errors import invalid
from gate_service.proto_convert.jsonvalues import as_dict, as_int, as_list, as_str
from spidergate.v1 import alias_admin_pb2 as pb

_CHANGE_FIELDS = frozenset({"chain", "reason"})
_ROLLBACK_FIELDS = frozenset({"history_id", "reason"})
_SLOT_FIELDS = frozenset({"provider", "model"})

# ------------------------------------------------------------------ JSON -> proto


def _known(body: Mapping[str, Any], allowed: frozenset[str], where: str = "") -> None:
    for name in body:
        if name not in allowed:
            raise invalid(f"unknown field '{where}{name}'", f"{where}{name}")


def _slots(value: Any) -> list[pb.ChainSlot]:
    slots = []
    for index, item in enumerate(as_list(value, "chain")):
        where = f"chain[{index}]"
        slot = as_dict(item, where)
        _known(slot, _SLOT_FIELDS, f"{where}.")
        for name in ("provider", "model"):
            if not as_str(slot.get(name), f"{where}.{name}").strip():
                raise invalid(f"'{where}.{name}' must not be empty", f"{where}.{name}")
        slots.append(pb.ChainSlot(provider=slot["provider"], model=slot["model"]))
    return slots


def _change(body: Mapping[str, Any]) -> tuple[list[pb.ChainSlot], str]:
    _known(body, _CHANGE_FIELDS)
    if "chain" not in body:
        raise invalid("'chain' is required", "chain")
    reason = body.get("reason")
    return _slots(body["chain"]), "" if reason is None else as_str(reason, "reason")


def validate_request_from_json(alias_id: str, body: Mapping[str, Any]) -> pb.ValidateChainRequest:
    chain, _ = _change({k: v for k, v in body.items() if k != "reason"})
    return pb.ValidateChainRequest(alias_id=alias_id, chain=chain)


def replace_request_from_json(alias_id: str, body: Mapping[str, Any]) -> pb.ReplaceChainRequest:
    chain, reason = _change(body)
    return pb.ReplaceChainRequest(alias_id=alias_id, chain=chain, reason=reason)


def rollback_request_from_json(alias_id: str, body: Mapping[str, Any]) -> pb.RollbackChainRequest:
    _known(body, _ROLLBACK_FIELDS)
    if body.get("history_id") is None:
        raise invalid("'history_id' is required", "history_id")
    reason = body.get("reason")
    return pb.RollbackChainRequest(
        alias_id=alias_id,
        history_id=as_int(body["history_id"], "history_id"),
        reason="" if reason is None else as_str(reason, "reason"),
    )


# ------------------------------------------------------------------ proto -> domain


def chain_from_proto(slots: Any) -> Chain:
    return tuple(Candidate(s.provider, s.model) for s in slots)


def change_from_proto(req: pb.ValidateChainRequest | pb.ReplaceChainRequest) -> ChainChange:
    reason = req.reason if isinstance(req, pb.ReplaceChainRequest) else ""
    return ChainChange(req.alias_id, chain_from_proto(req.chain), reason)


def rollback_from_proto(req: pb.RollbackChainRequest) -> Rollback:
    return Rollback(req.alias_id, req.history_id, req.reason)


def _when(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def entry_from_proto(e: pb.AliasHistoryEntry) -> HistoryEntry:
    return HistoryEntry(
        e.id, e.alias_id, e.version, chain_from_proto(e.chain), e.actor, e.reason, _when(e.created)
    )


def alias_from_proto(a: pb.AdminAlias) -> AdminAlias:
    return AdminAlias(
        id=a.id,
        kind=a.kind,
        use_case=a.use_case,
        requires=tuple(a.requires),
        tool_alias=a.tool_alias,
        chain=chain_from_proto(a.chain),
        falls_through_to=a.falls_through_to if a.HasField("falls_through_to") else None,
        pii_safe=a.pii_safe,
        version=a.version,
        history=tuple(entry_from_proto(e) for e in a.history),
    )


def validation_from_proto(v: pb.ValidateChainResponse) -> Validation:
    return Validation(
        v.alias_id,
        tuple(
            SlotVerdict(s.slot, s.provider, s.model, s.verdict, s.message, s.latency_ms, s.key_id)
            for s in v.slots
        ),
    )


# ------------------------------------------------------------------ domain -> proto


def _slots_proto(chain: Chain) -> list[pb.ChainSlot]:
    return [pb.ChainSlot(provider=c.provider, model=c.model) for c in chain]


def entry_to_proto(e: HistoryEntry) -> pb.AliasHistoryEntry:
    return pb.AliasHistoryEntry(
        id=e.id,
        alias_id=e.alias_id,
        version=e.version,
        chain=_slots_proto(e.chain),
        actor=e.actor,
        reason=e.reason,
        created=int(e.created_at.timestamp()),
    )


def alias_to_proto(a: AdminAlias) -> pb.AdminAlias:
    message = pb.AdminAlias(
        id=a.id,
        kind=a.kind,
        use_case=a.use_case,
        requires=list(a.requires),
        tool_alias=a.tool_alias,
        chain=_slots_proto(a.chain),
        pii_safe=a.pii_safe,
        version=a.version,
        history=[entry_to_proto(e) for e in a.history],
    )
    if a.falls_through_to is not None:
        message.falls_through_to = a.falls_through_to
    return message


def validation_to_proto(v: Validation) -> pb.ValidateChainResponse:
    return pb.ValidateChainResponse(
        alias_id=v.alias_id,
        all_ok=v.all_ok,
        slots=[
            pb.SlotVerdict(
                slot=s.slot,
                provider=s.provider,
                model=s.model,
                verdict=s.verdict,
                message=s.message,
                latency_ms=s.latency_ms,
                key_id=s.key_id,
            )
            for s in v.slots
        ],
    )


# ------------------------------------------------------------------ domain -> JSON


def _chain_json(chain: Chain) -> list[dict[str, str]]:
    return [{"provider": c.provider, "model": c.model} for c in chain]


def entry_to_json(e: HistoryEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "alias_id": e.alias_id,
        "version": e.version,
        "chain": _chain_json(e.chain),
        "actor": e.actor,
        "reason": e.reason,
        "created": int(e.created_at.timestamp()),
    }


def alias_to_json(a: AdminAlias) -> dict[str, Any]:
    return {
        "id": a.id,
        "object": "alias",
        "kind": a.kind,
        "use_case": a.use_case,
        "requires": list(a.requires),
        "tool_alias": a.tool_alias,
        "chain": _chain_json(a.chain),
        "falls_through_to": a.falls_through_to,
        "pii_safe": a.pii_safe,
        "version": a.version,
        "history": [entry_to_json(e) for e in a.history],
    }


def aliases_to_json(aliases: list[AdminAlias]) -> dict[str, Any]:
    return {"object": "list", "data": [alias_to_json(a) for a in aliases]}


def validation_to_json(v: Validation) -> dict[str, Any]:
    return {
        "alias_id": v.alias_id,
        "slots": [
            {
                "slot": s.slot,
                "provider": s.provider,
                "model": s.model,
                "verdict": s.verdict,
                "message": s.message,
                "latency_ms": s.latency_ms,
                "key_id": s.key_id,
            }
            for s in v.slots
        ],
        "all_ok": v.all_ok,
    }

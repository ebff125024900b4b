"""Platform alias administration as plain values: what the operator sees of an alias, a
change of its chain, and the dry-run probe's verdicts. Converted from and to proto once
(``proto_convert/alias_admin.py``), from and to the REST JSON there too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gate_service.catalog.schema import Candidate

# Most slots a chain may hold (as a client alias).
MAX_SLOTS = 16
MAX_REASON = 500

Chain = tuple[Candidate, ...]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One version of an alias's chain."""

    id: int
    alias_id: str
    version: int
    chain: Chain
    actor: str
    reason: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AdminAlias:
    """An alias with its live chain and its history (newest first)."""

    id: str
    kind: str
    use_case: str
    requires: tuple[str, ...]
    tool_alias: bool
    chain: Chain
    falls_through_to: str | None
    pii_safe: bool
    version: int  # the live chain's history version; 0 when never changed
    history: tuple[HistoryEntry, ...]


@dataclass(frozen=True, slots=True)
class ChainChange:
    """A proposed chain (validate, replace) for an alias."""

    alias_id: str
    chain: Chain
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Rollback:
    """Restore the chain of history row ``history_id`` of ``alias_id``."""

    alias_id: str
    history_id: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SlotRejection:
    """Why a slot can never serve this alias (422 ``chain_rejected``, ``rejected_slots``)."""

    slot: int
    provider: str
    model: str
    reason: str  # unknown_provider, unknown_model, lacks_capability, no_tools
    message: str

    def to_json(self) -> dict[str, object]:
        return {
            "slot": self.slot,
            "provider": self.provider,
            "model": self.model,
            "reason": self.reason,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class SlotVerdict:
    """What one probe of one slot found."""

    slot: int
    provider: str
    model: str
    verdict: str  # ok, no_key, auth_failed, model_not_found, rate_limited, timeout, ...
    message: str = ""
    latency_ms: float = 0.0
    key_id: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


@dataclass(frozen=True, slots=True)
class Validation:
    """The dry run of a proposed chain: a verdict per slot."""

    alias_id: str
    slots: tuple[SlotVerdict, ...]

    @property
    def all_ok(self) -> bool:
        return all(v.ok for v in self.slots)

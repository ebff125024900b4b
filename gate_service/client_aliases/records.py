"""The plain types of client aliases, as the core works on them.

A slot names one of the brand's keys and a model of that key's provider; the chain is
tried in slot order, each slot only with its own key (a client alias never falls back to
the pool). ``SlotView`` adds what a listing shows of the key (its label, whether it is
active) and of the model (its cost type); the secret never comes near any of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

PREFIX = "client:"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_SLOTS = 16
MAX_DESCRIPTION = 500
MAX_LEAF = 64

# How a slot's model is paid for: a free-tier model of the catalog, a priced one, or a
# model the catalog does not list (a local server's, or one since removed).
COST_TYPES = ("free", "paid", "unknown")


def alias_model(client_id: str, leaf: str) -> str:
    """What a request names: ``client:<client_id>/<leaf>``."""
    return f"{PREFIX}{client_id}/{leaf}"


def split_model(name: str) -> tuple[str, str] | None:
    """``(client_id, leaf)`` of ``client:<client_id>/<leaf>``; None for any other name."""
    if not name.startswith(PREFIX):
        return None
    brand, sep, leaf = name[len(PREFIX) :].partition("/")
    if not sep or not brand or not leaf:
        return None
    return brand, leaf


@dataclass(frozen=True, slots=True)
class Slot:
    """One candidate of a chain: ``model`` of ``provider`` served with key ``key_id``."""

    key_id: str
    provider: str
    model: str
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class SlotInput:
    """A slot as a caller sends it: the provider may be left to the key's own."""

    key_id: str
    provider: str | None
    model: str
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class ClientAlias:
    """A stored alias."""

    client_id: str
    leaf: str
    description: str | None
    enabled: bool
    slots: tuple[Slot, ...]
    created_at: datetime
    updated_at: datetime

    @property
    def model(self) -> str:
        return alias_model(self.client_id, self.leaf)


@dataclass(frozen=True, slots=True)
class SlotView:
    """A slot as shown: with its key's label and state and its model's cost type."""

    slot: Slot
    key_label: str
    key_active: bool
    cost_type: str


@dataclass(frozen=True, slots=True)
class AliasView:
    """An alias as shown."""

    alias: ClientAlias
    slots: tuple[SlotView, ...]


@dataclass(frozen=True, slots=True)
class NewAlias:
    leaf: str
    slots: tuple[SlotInput, ...]
    description: str | None = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class AliasPatch:
    """A partial update: None leaves a field as it is; ``clear_description`` removes it;
    ``slots``, when given, replaces the whole chain."""

    description: str | None = None
    clear_description: bool = False
    enabled: bool | None = None
    slots: tuple[SlotInput, ...] | None = None


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """What routing and listings need of a key a slot names (never its secret)."""

    id: str
    client_id: str | None
    provider: str
    label: str
    active: bool
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class AliasPage:
    aliases: list[AliasView] = field(default_factory=list)
    has_more: bool = False

"""Client aliases in the database: one row per (brand, leaf), scoped to the brand.

Ownership is the ``client_id`` argument of every call: another brand's alias answers
``not_found`` exactly like a missing one. Blocking calls: the manager runs them in a
worker thread. ``load`` reads every alias and the status of every key they name at once,
for the routing snapshot (``book.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from gate_service.client_aliases.records import (
    AliasPatch,
    ClientAlias,
    KeyStatus,
    Slot,
)
from gate_service.client_aliases.validation import not_found
from gate_service.errors import GateError
from gate_service.storage.database import Database
from gate_service.storage.models import ClientAliasRow, ProviderKey, utcnow


def _slots_json(slots: Iterable[Slot]) -> str:
    return orjson.dumps(
        [
            {"key_id": s.key_id, "provider": s.provider, "model": s.model, "enabled": s.enabled}
            for s in slots
        ]
    ).decode()


def _alias(row: ClientAliasRow) -> ClientAlias:
    slots = tuple(
        Slot(s["key_id"], s["provider"], s["model"], bool(s.get("enabled", True)))
        for s in orjson.loads(row.slots)
    )
    return ClientAlias(
        client_id=row.client_id,
        leaf=row.leaf,
        description=row.description,
        enabled=row.enabled,
        slots=slots,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _status(row: ProviderKey) -> KeyStatus:
    return KeyStatus(
        id=row.id,
        client_id=row.client_id,
        provider=row.provider,
        label=row.label,
        active=row.active,
        deleted=row.deleted_at is not None,
    )


class ClientAliasStore:
    """The ``client_alias`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ reads

    def get(self, client_id: str, leaf: str) -> ClientAlias:
        with self._db.session() as session:
            row = session.get(ClientAliasRow, (client_id, leaf))
            if row is None:
                raise not_found(leaf)
            return _alias(row)

    def page(self, client_id: str, limit: int, offset: int = 0) -> tuple[list[ClientAlias], bool]:
        """A page of the brand's aliases by name, and whether more follow."""
        with self._db.session() as session:
            rows = session.exec(
                select(ClientAliasRow)
                .where(ClientAliasRow.client_id == client_id)
                .order_by(col(ClientAliasRow.leaf))
                .offset(offset)
                .limit(limit + 1)
            ).all()
        return [_alias(r) for r in rows[:limit]], len(rows) > limit

    def key_statuses(self, key_ids: Iterable[str]) -> dict[str, KeyStatus]:
        """The keys with these ids, whoever owns them (the caller checks ownership)."""
        ids = sorted(set(key_ids))
        if not ids:
            return {}
        with self._db.session() as session:
            rows = session.exec(select(ProviderKey).where(col(ProviderKey.id).in_(ids))).all()
        return {r.id: _status(r) for r in rows}

    def load(self) -> tuple[list[ClientAlias], dict[str, KeyStatus]]:
        """Every alias and the status of every key they name: the routing snapshot."""
        with self._db.session() as session:
            rows = session.exec(select(ClientAliasRow)).all()
            aliases = [_alias(r) for r in rows]
        named = {s.key_id for a in aliases for s in a.slots}
        return aliases, self.key_statuses(named)

    # ------------------------------------------------------------------ writes

    def create(
        self,
        client_id: str,
        leaf: str,
        description: str | None,
        enabled: bool,
        slots: tuple[Slot, ...],
    ) -> ClientAlias:
        now = utcnow()
        row = ClientAliasRow(
            client_id=client_id,
            leaf=leaf,
            description=description,
            enabled=enabled,
            slots=_slots_json(slots),
            created_at=now,
            updated_at=now,
        )
        exists = GateError(
            "alias_exists", f"A client alias '{leaf}' already exists in this brand.", param="name"
        )
        with self._db.session() as session:
            if session.get(ClientAliasRow, (client_id, leaf)) is not None:
                raise exists
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                # Lost a race with another request creating the same name.
                session.rollback()
                raise exists from None
            return _alias(row)

    def update(
        self, client_id: str, leaf: str, patch: AliasPatch, slots: tuple[Slot, ...] | None
    ) -> ClientAlias:
        """Change the fields the patch sets; ``slots`` (already checked) replace the chain."""
        with self._db.session() as session:
            row = session.get(ClientAliasRow, (client_id, leaf))
            if row is None:
                raise not_found(leaf)
            if patch.clear_description:
                row.description = None
            elif patch.description is not None:
                row.description = patch.description
            if patch.enabled is not None:
                row.enabled = patch.enabled
            if slots is not None:
                row.slots = _slots_json(slots)
            row.updated_at = utcnow()
            session.add(row)
            session.commit()
            session.refresh(row)
            return _alias(row)

    def delete(self, client_id: str, leaf: str) -> ClientAlias:
        with self._db.session() as session:
            row = session.get(ClientAliasRow, (client_id, leaf))
            if row is None:
                raise not_found(leaf)
            alias = _alias(row)
            session.delete(row)
            session.commit()
            return alias

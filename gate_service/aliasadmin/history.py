"""An alias chain's versions in the database: the live chain in its ``catalog_entry``
row (what every replica's routing loads) and each version in ``alias_history``.

A change writes both in one transaction: the alias document's ``chain`` and a history
row whose version is one more than the alias's last. The first change of an alias also
writes version 1, the chain it had until then (the data files' seed, actor ``seed``), so
the shipped chain can be rolled back to like any other; an alias never changed has no
history. On PostgreSQL the row is locked (``FOR UPDATE``) so two operators changing one
alias at once get consecutive versions; SQLite has no row lock and starts its write
transaction only at the first write, so two writers may read the same last version: the
unique (alias, version) index refuses the second, which then tries again on the new last
version. ``announce`` runs inside the transaction (a ``NOTIFY`` is delivered only if the
change commits).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from gate_service.catalog.schema import Candidate
from gate_service.domain.alias_admin import Chain, HistoryEntry
from gate_service.errors import GateError
from gate_service.storage.models import AliasHistory, CatalogEntry, utcnow

SessionFactory = Callable[[], AbstractContextManager[Session]]
Announce = Callable[[Session], None]

SEED_ACTOR = "seed"


def encode_chain(chain: Chain) -> str:
    return json.dumps([str(c) for c in chain], ensure_ascii=False)


def decode_chain(text: str) -> Chain:
    return tuple(Candidate.parse(entry) for entry in json.loads(text))


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _entry(row: AliasHistory) -> HistoryEntry:
    assert row.id is not None
    return HistoryEntry(
        id=row.id,
        alias_id=row.alias_id,
        version=row.version,
        chain=decode_chain(row.chain),
        actor=row.actor,
        reason=row.reason,
        created_at=_aware(row.created_at),
    )


def history(session_factory: SessionFactory, alias_id: str | None = None) -> list[HistoryEntry]:
    """Every history row (of one alias, when named), newest version first."""
    with session_factory() as session:
        statement = select(AliasHistory)
        if alias_id is not None:
            statement = statement.where(AliasHistory.alias_id == alias_id)
        statement = statement.order_by(col(AliasHistory.alias_id), col(AliasHistory.version).desc())
        return [_entry(row) for row in session.exec(statement)]


def entry(session_factory: SessionFactory, history_id: int) -> HistoryEntry | None:
    with session_factory() as session:
        row = session.get(AliasHistory, history_id)
        return None if row is None else _entry(row)


def _document(row: CatalogEntry) -> dict[str, Any]:
    document = json.loads(row.data)
    if not isinstance(document, dict):
        raise ValueError(f"catalog_entry alias/{row.id}: data is not a JSON object")
    return document


def write_chain(
    session_factory: SessionFactory,
    alias_id: str,
    chain: Chain,
    *,
    actor: str,
    reason: str,
    announce: Announce | None = None,
) -> HistoryEntry:
    """Make ``chain`` the live chain of ``alias_id`` and record it; the new history row.

    ``not_found`` when the alias has no row.
    """
    for _ in range(_VERSION_RACES - 1):
        try:
            return _write_chain(session_factory, alias_id, chain, actor, reason, announce)
        except IntegrityError:
            continue  # another writer took this version first (SQLite): read again
    return _write_chain(session_factory, alias_id, chain, actor, reason, announce)


# How many writers racing for one alias's next version a change outlasts.
_VERSION_RACES = 8


def _write_chain(
    session_factory: SessionFactory,
    alias_id: str,
    chain: Chain,
    actor: str,
    reason: str,
    announce: Announce | None,
) -> HistoryEntry:
    with session_factory() as session:
        statement = (
            select(CatalogEntry)
            .where(CatalogEntry.kind == "alias", CatalogEntry.id == alias_id)
            .with_for_update()
        )
        row = session.exec(statement).first()
        if row is None:
            raise GateError("not_found", f"alias '{alias_id}' not found", param="alias_id")
        document = _document(row)
        last = session.exec(
            select(func.max(AliasHistory.version)).where(AliasHistory.alias_id == alias_id)
        ).one()
        now = utcnow()
        if last is None:
            seed = tuple(Candidate.parse(e) for e in document.get("chain", ()))
            session.add(
                AliasHistory(
                    alias_id=alias_id,
                    version=1,
                    chain=encode_chain(seed),
                    actor=SEED_ACTOR,
                    reason="the chain before the first change",
                    created_at=now,
                )
            )
            last = 1
        document["chain"] = [str(c) for c in chain]
        row.data = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        row.updated_at = now
        session.add(row)
        record = AliasHistory(
            alias_id=alias_id,
            version=int(last) + 1,
            chain=encode_chain(chain),
            actor=actor,
            reason=reason,
            created_at=now,
        )
        session.add(record)
        session.flush()
        if announce is not None:
            announce(session)
        session.commit()
        return _entry(record)

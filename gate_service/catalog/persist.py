"""The catalog in the database: seeded once from the bundled files, then read from there.

After the first start the database is the truth, so an operator's chain edit (admin API,
CLI) survives restarts and upgrades do not silently overwrite it. Each provider, model and
alias is one ``catalog_entry`` row holding its ``schema`` document as JSON, plus its
position in the shipped files, because order carries meaning (provider preference, the
order ``/aliases`` lists) and rows have none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from gate_service.catalog.loader import load_bundled, validate
from gate_service.catalog.schema import (
    RECORD_KINDS,
    AliasInfo,
    CatalogData,
    CatalogRecord,
    ModelInfo,
    ProviderInfo,
    alias_from_document,
    kind_of,
    model_from_document,
    provider_from_document,
    record_id,
    to_document,
)
from gate_service.catalog.snapshot import Catalog
from gate_service.storage.models import CatalogEntry

SessionFactory = Callable[[], AbstractContextManager[Session]]

# Stored next to the document's own fields; not part of the record.
POSITION_KEY = "position"


def encode(record: CatalogRecord, position: int) -> str:
    """The ``catalog_entry.data`` text of a record at a position in its list."""
    document = {**to_document(record), POSITION_KEY: position}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entries(data: CatalogData) -> list[CatalogEntry]:
    """One row per provider, model and alias of ``data``."""
    groups: Iterable[Sequence[CatalogRecord]] = (data.providers, data.models, data.aliases)
    return [
        CatalogEntry(kind=kind_of(record), id=record_id(record), data=encode(record, position))
        for group in groups
        for position, record in enumerate(group)
    ]


def seed_if_empty(session_factory: SessionFactory) -> bool:
    """Copy the bundled catalog into an empty ``catalog_entry`` table.

    Returns whether it seeded. A table with any row is left alone, so operator edits
    are never overwritten; if another process seeds at the same moment, the loser's
    insert fails on the primary key and it reports that it did not seed.
    """
    with session_factory() as session:
        if session.exec(select(CatalogEntry).limit(1)).first() is not None:
            return False
        session.add_all(entries(load_bundled()))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
    return True


def _decode(row: CatalogEntry) -> tuple[float, str, dict[str, Any]]:
    document = json.loads(row.data)
    if not isinstance(document, dict):
        raise ValueError(f"catalog_entry {row.kind}/{row.id}: data is not a JSON object")
    position = document.pop(POSITION_KEY, None)
    # Rows written without a position (by hand) go last, in id order.
    order = float(position) if isinstance(position, int | float) else float("inf")
    return order, row.id, document


def _ordered(rows: list[CatalogEntry], kind: str) -> list[dict[str, Any]]:
    decoded = sorted(_decode(row) for row in rows if row.kind == kind)
    return [document for *_, document in decoded]


def load_from_db(session_factory: SessionFactory) -> Catalog:
    """Build the catalog from the stored rows; ``ValueError`` when they are inconsistent.

    Rows of kinds this release does not know are ignored, so a newer release's rows do
    not stop an older one from starting.
    """
    with session_factory() as session:
        statement = select(CatalogEntry).where(col(CatalogEntry.kind).in_(RECORD_KINDS))
        rows = list(session.exec(statement))
    providers: tuple[ProviderInfo, ...] = tuple(
        provider_from_document(d) for d in _ordered(rows, "provider")
    )
    models: tuple[ModelInfo, ...] = tuple(model_from_document(d) for d in _ordered(rows, "model"))
    aliases: tuple[AliasInfo, ...] = tuple(alias_from_document(d) for d in _ordered(rows, "alias"))
    data = CatalogData(providers=providers, models=models, aliases=aliases)
    validate(data)
    return Catalog(data)

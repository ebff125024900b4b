"""Seeding the database from the bundled files and reading the catalog back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
import sqlmodel
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, select

from gate_service.catalog.loader import load_bundled
from gate_service.catalog.persist import load_from_db, seed_if_empty
from gate_service.catalog.snapshot import Catalog
from gate_service.storage.models import CatalogEntry

SessionFactory = Callable[[], Session]


@pytest.fixture
def session_factory() -> Iterator[SessionFactory]:
    # One shared in-memory connection, so every session sees the same database.
    engine = sqlmodel.create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    SQLModel.metadata.create_all(engine, tables=[CatalogEntry.__table__])  # type: ignore[attr-defined]
    yield lambda: Session(engine)
    engine.dispose()


def count_rows(session_factory: SessionFactory) -> dict[str, int]:
    with session_factory() as session:
        rows = session.exec(select(CatalogEntry)).all()
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.kind] = counts.get(row.kind, 0) + 1
    return counts


def test_seed_then_load_gives_an_equal_catalog(session_factory: SessionFactory) -> None:
    assert seed_if_empty(session_factory) is True
    bundled = load_bundled()
    loaded = load_from_db(session_factory)
    assert loaded == Catalog(bundled)
    # Order survives the round trip: providers in preference order, aliases as listed.
    assert [p.id for p in loaded.providers] == [p.id for p in bundled.providers]
    assert [a.id for a in loaded.aliases] == [a.id for a in bundled.aliases]
    assert [m.id for m in loaded.models] == [m.id for m in bundled.models]


def test_seeding_twice_does_not_duplicate(session_factory: SessionFactory) -> None:
    assert seed_if_empty(session_factory) is True
    first = count_rows(session_factory)
    assert seed_if_empty(session_factory) is False
    assert count_rows(session_factory) == first
    bundled = load_bundled()
    assert first == {
        "provider": len(bundled.providers),
        "model": len(bundled.models),
        "alias": len(bundled.aliases),
    }


def test_rows_hold_the_schema_documents(session_factory: SessionFactory) -> None:
    seed_if_empty(session_factory)
    with session_factory() as session:
        row = session.get(CatalogEntry, ("alias", "spideriq/free"))
    assert row is not None
    document = json.loads(row.data)
    assert document["chain"][-1] == "openrouter:meta-llama/llama-3.3-70b-instruct:free"
    assert document["position"] == 1


def test_operator_edits_are_read_back_and_never_reseeded(session_factory: SessionFactory) -> None:
    seed_if_empty(session_factory)
    with session_factory() as session:
        row = session.get(CatalogEntry, ("alias", "agent/planning"))
        assert row is not None
        document = json.loads(row.data)
        document["chain"] = ["deepseek:deepseek-reasoner"]
        row.data = json.dumps(document)
        session.add(row)
        session.commit()
    assert seed_if_empty(session_factory) is False
    alias = load_from_db(session_factory).alias("agent/planning")
    assert alias is not None
    assert [str(c) for c in alias.chain] == ["deepseek:deepseek-reasoner"]


def test_inconsistent_rows_fail_to_load(session_factory: SessionFactory) -> None:
    seed_if_empty(session_factory)
    with session_factory() as session:
        row = session.get(CatalogEntry, ("alias", "agent/fast"))
        assert row is not None
        document = json.loads(row.data)
        document["chain"] = ["groq:no-such-model"]
        row.data = json.dumps(document)
        session.add(row)
        session.commit()
    with pytest.raises(ValueError, match="groq:no-such-model"):
        load_from_db(session_factory)


def test_unknown_kinds_and_missing_positions_are_tolerated(
    session_factory: SessionFactory,
) -> None:
    seed_if_empty(session_factory)
    with session_factory() as session:
        session.add(CatalogEntry(kind="future", id="x", data="{}"))
        session.add(
            CatalogEntry(
                kind="alias",
                id="custom/added",
                data=json.dumps({"id": "custom/added", "chain": ["groq:llama-3.1-8b-instant"]}),
            )
        )
        session.commit()
    loaded = load_from_db(session_factory)
    assert loaded.aliases[-1].id == "custom/added"
    assert len(loaded.chat_aliases()) == 27

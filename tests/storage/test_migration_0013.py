"""Migration 0013 on a catalog seeded before it, on SQLite and PostgreSQL: the tool
aliases' stored rows gain ``requires`` (other fields, an operator's chain included, stay
as they were), ``alias_history`` exists, and a downgrade drops only the table."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlmodel import SQLModel

from gate_service.catalog import persist
from gate_service.storage.database import Database
from tests.storage.test_migration_0006 import _alembic
from tests.storage.test_migrations import _differences

ENTRY = sa.table("catalog_entry", sa.column("kind"), sa.column("id"), sa.column("data", sa.String))


def _document(db: Database, alias_id: str) -> dict[str, object]:
    where = sa.and_(ENTRY.c.kind == "alias", ENTRY.c.id == alias_id)
    with db.engine.connect() as conn:
        return dict(json.loads(conn.execute(sa.select(ENTRY.c.data).where(where)).scalar_one()))


def _store(db: Database, alias_id: str, document: dict[str, object]) -> None:
    where = sa.and_(ENTRY.c.kind == "alias", ENTRY.c.id == alias_id)
    with db.engine.begin() as conn:
        conn.execute(sa.update(ENTRY).where(where).values(data=json.dumps(document)))


def test_0013_adds_requires_to_seeded_tool_aliases(db: Database) -> None:
    _alembic(db, "downgrade", "0011")
    assert "alias_history" not in sa.inspect(db.engine).get_table_names()
    persist.seed_if_empty(db.session_factory())
    # As an older release seeded it: no 'requires'; and an operator's own chain.
    old = {k: v for k, v in _document(db, "spideriq/tool-use").items() if k != "requires"}
    old["chain"] = ["openai:gpt-4o"]
    _store(db, "spideriq/tool-use", old)
    plain = {k: v for k, v in _document(db, "spideriq/fast").items() if k != "requires"}
    _store(db, "spideriq/fast", plain)

    db.migrate()
    assert _differences(db, SQLModel.metadata) == []
    assert _document(db, "spideriq/tool-use") == {**old, "requires": ["function_calling"]}
    assert _document(db, "spideriq/fast") == plain  # not a tool alias: untouched
    catalog = persist.load_from_db(db.session_factory())
    assert catalog.alias("agent/tool-use").requires == ("function_calling",)  # type: ignore[union-attr]

    _alembic(db, "downgrade", "0011")
    assert "alias_history" not in sa.inspect(db.engine).get_table_names()
    db.migrate()

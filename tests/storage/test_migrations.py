"""Migrations: the migrated schema is exactly the models', and upgrades keep data."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, inspect, text
from sqlmodel import SQLModel, select

from gate_service.storage.database import MIGRATIONS_DIR, Database
from gate_service.storage.models import Brand, Meta


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _head() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def _differences(db: Database, metadata: MetaData) -> list[object]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def _version(db: Database) -> list[str]:
    with db.engine.connect() as connection:
        return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def test_migrated_schema_matches_models(db: Database) -> None:
    assert _differences(db, SQLModel.metadata) == []
    assert _version(db) == [_head()]


def test_comparison_would_notice_a_difference(db: Database) -> None:
    """The check above is not vacuous: an extra column in the models is reported."""
    changed = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        copy = table.to_metadata(changed)
        if table.name == "brand":
            copy.append_column(Column("extra", Integer, nullable=True))
    differences = _differences(db, changed)
    assert any("extra" in repr(d) for d in differences), differences


def test_migrate_twice_is_a_no_op_and_keeps_rows(db: Database) -> None:
    with db.session() as session:
        session.add(Brand(client_id="cli_0123456789abcdef", name="acme"))
        session.add(Meta(key="k", value="v"))
        session.commit()
    db.migrate()
    db.migrate()
    with db.session() as session:
        assert session.exec(select(Brand)).one().name == "acme"
        assert session.get(Meta, "k") is not None
    assert _version(db) == [_head()]
    assert _differences(db, SQLModel.metadata) == []


def test_downgrade_to_base_and_back(db: Database) -> None:
    config = _config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    db.migrate()
    assert _differences(db, SQLModel.metadata) == []


def test_replicas_migrating_at_once_do_not_race(database_url: str) -> None:
    replicas = [Database(database_url) for _ in range(4)]
    barrier = threading.Barrier(len(replicas))

    def start(database: Database) -> None:
        barrier.wait()
        database.migrate()

    try:
        with ThreadPoolExecutor(len(replicas)) as pool:
            list(pool.map(start, replicas))  # re-raises any replica's failure
        assert _version(replicas[0]) == [_head()]
        assert _differences(replicas[0], SQLModel.metadata) == []
    finally:
        for database in replicas:
            database.dispose()

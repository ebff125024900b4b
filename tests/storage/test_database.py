"""Database: URL handling, SQLite settings, sessions and the race-safe meta table."""

from __future__ import annotations

import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from gate_service.config import Settings
from gate_service.storage.database import Database, normalize_url
from gate_service.storage.models import Meta


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg"),
        ("postgresql://u:p@h:5432/d", "postgresql+psycopg"),
        ("postgresql+psycopg://u:p@h:5432/d", "postgresql+psycopg"),
        ("sqlite:////tmp/x.db", "sqlite"),
    ],
)
def test_normalize_url_uses_psycopg(given: str, driver: str) -> None:
    url = normalize_url(given)
    assert url.drivername == driver
    if driver != "sqlite":
        assert (url.username, url.password, url.host, url.port, url.database) == (
            "u",
            "p",
            "h",
            5432,
            "d",
        )


def test_sqlite_file_in_private_folder_with_wal(tmp_path: Path) -> None:
    folder = tmp_path / "nested" / "state"
    db = Database(f"sqlite:///{folder / 'spidergate.db'}")
    try:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        db.migrate()
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        db.dispose()


def test_from_settings_defaults_to_sqlite_in_data_dir(tmp_path: Path) -> None:
    db = Database.from_settings(Settings(data_dir=tmp_path / "d"))
    try:
        db.migrate()
        assert db.dialect == "sqlite"
        assert (tmp_path / "d" / "spidergate.db").is_file()
    finally:
        db.dispose()


def test_in_memory_sqlite_keeps_one_database() -> None:
    db = Database("sqlite://")
    try:
        db.migrate()
        assert db.set_meta_if_absent("k", "v") == "v"
        assert db.get_meta("k") == "v"
    finally:
        db.dispose()


def test_session_is_a_context_manager(db: Database) -> None:
    with db.session() as session:
        session.add(Meta(key="greeting", value="hello"))
        session.commit()
    make = db.session_factory()
    with make() as session:
        row = session.exec(select(Meta).where(Meta.key == "greeting")).one()
    assert row.value == "hello"


def test_meta_get_and_set_if_absent(db: Database) -> None:
    assert db.get_meta("k") is None
    assert db.set_meta_if_absent("k", "first") == "first"
    assert db.set_meta_if_absent("k", "second") == "first"
    assert db.get_meta("k") == "first"


def test_set_meta_if_absent_race_has_one_winner(database_url: str) -> None:
    """Separate engines (as separate replicas would have) racing on one key all agree."""
    Database(database_url).migrate()
    contenders = [Database(database_url) for _ in range(8)]
    barrier = threading.Barrier(len(contenders))

    def contend(index: int) -> str:
        barrier.wait()
        return contenders[index].set_meta_if_absent("token_hash_key", f"value-{index}")

    try:
        with ThreadPoolExecutor(len(contenders)) as pool:
            results = list(pool.map(contend, range(len(contenders))))
        assert len(set(results)) == 1
        assert contenders[0].get_meta("token_hash_key") == results[0]
        with contenders[0].engine.connect() as connection:
            count = connection.execute(text("SELECT COUNT(*) FROM meta")).scalar()
        assert count == 1
    finally:
        for database in contenders:
            database.dispose()

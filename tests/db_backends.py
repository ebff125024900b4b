"""Real database backends for tests: a SQLite file, and a fresh PostgreSQL database.

Imported by the conftest of each folder that needs a database (storage, auth, vault,
cli). PostgreSQL is expected at 127.0.0.1:5432 as user ``postgres`` (override with
``SPIDERGATE_TEST_POSTGRES_URL``, an admin URL to the ``postgres`` database). When it is
unreachable the PostgreSQL cases are skipped, except under CI (``CI`` set) where they
fail: CI must exercise both backends.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from gate_service.storage.database import Database

BACKENDS = ("sqlite", "postgresql")
ADMIN_URL = os.environ.get(
    "SPIDERGATE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)

_unreachable: list[str] = []  # memo: [] unknown, [""] reachable, [reason] unreachable


def _admin_connect() -> psycopg.Connection:
    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)


def require_postgres() -> None:
    """Skip (or under CI, fail) the current test when PostgreSQL cannot be reached."""
    if not _unreachable:
        try:
            with _admin_connect() as connection:
                connection.execute("SELECT 1")
            _unreachable.append("")
        except psycopg.Error as error:
            _unreachable.append(str(error).strip().splitlines()[0] or type(error).__name__)
    reason = _unreachable[0]
    if not reason:
        return
    where = make_url(ADMIN_URL).render_as_string(hide_password=True)
    message = f"PostgreSQL is unreachable at {where}: {reason}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: the PostgreSQL tests must run)", pytrace=False)
    pytest.skip(f"{message} (start it, or set SPIDERGATE_TEST_POSTGRES_URL)")


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create an empty database ``spidergate_test_<hex>``, yield its URL, then drop it."""
    require_postgres()
    name = f"spidergate_test_{secrets.token_hex(6)}"
    with _admin_connect() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin_connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_url(folder: Path) -> str:
    """A SQLite file in a folder that does not exist yet (Database creates it)."""
    return f"sqlite:///{folder / 'data' / 'spidergate.db'}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, once per backend."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A migrated :class:`Database` on each backend."""
    database = Database(database_url)
    database.migrate()
    try:
        yield database
    finally:
        database.dispose()

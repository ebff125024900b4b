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
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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


def _url(name: str) -> str:
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@contextmanager
def fresh_postgres_database(template: str | None = None) -> Iterator[str]:
    """Create a database ``spidergate_test_<hex>`` (empty, or a copy of ``template``),
    yield its URL, then drop it."""
    require_postgres()
    name = f"spidergate_test_{secrets.token_hex(6)}"
    with _admin_connect() as connection:
        copy = f' TEMPLATE "{template}"' if template else ""
        connection.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield _url(name)
    finally:
        _dropper().submit(_drop, name)


def _drop(name: str) -> None:
    with _admin_connect() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Databases are dropped on a thread of their own: a DROP waits for the server (over a
# second when the machine is busy) and nothing in the test needs it done, so the next
# test starts meanwhile. ``drop_migrated_template`` waits for the pending drops.
_drops: list[ThreadPoolExecutor] = []


def _dropper() -> ThreadPoolExecutor:
    if not _drops:
        _drops.append(ThreadPoolExecutor(1, thread_name_prefix="drop-database"))
    return _drops[0]


# The migrated template of this process (one per xdist worker), made on first use. Copying
# it costs what creating an empty database does, so each PostgreSQL test that only needs a
# migrated database (``db``) skips running the migrations: ~0.3 s of each of ~120 tests.
# The migrations add no rows to an empty database, so every copy is as fresh as a database
# migrated on its own. Dropped at the end of the session (tests/conftest.py).
_template: list[str] = []


def migrated_template() -> str:
    """The name of an empty PostgreSQL database at the newest revision, to copy."""
    if not _template:
        name = f"spidergate_test_template_{secrets.token_hex(6)}"
        with _admin_connect() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        _template.append(name)
        database = Database(_url(name))
        try:
            database.migrate()
        finally:
            database.dispose()  # a template with a connection open cannot be copied
    return _template[0]


def drop_migrated_template() -> None:
    """Finish dropping the tests' databases, then drop this process's template."""
    while _drops:
        _drops.pop().shutdown(wait=True)
    while _template:
        _drop(_template.pop())


_sqlite_template: list[Path] = []


def copy_migrated_sqlite(factory: pytest.TempPathFactory, url: str) -> None:
    """Put a copy of this process's migrated SQLite file where ``url`` points (its folder
    made private, as ``Database`` makes it): the SQLite twin of ``migrated_template``."""
    if not _sqlite_template:
        template = factory.mktemp("sqlite-template") / "data" / "spidergate.db"
        database = Database(f"sqlite:///{template}")
        try:
            database.migrate()
        finally:
            database.dispose()  # checkpoints the write-ahead log into the file
        _sqlite_template.append(template)
    target = Path(url.removeprefix("sqlite:///"))
    target.parent.mkdir(mode=0o700, parents=True)
    shutil.copyfile(_sqlite_template[0], target)


def sqlite_url(folder: Path) -> str:
    """A SQLite file in a folder that does not exist yet (Database creates it)."""
    return f"sqlite:///{folder / 'data' / 'spidergate.db'}"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, once per backend. When the test takes ``db`` (which
    migrates it anyway) it starts as a copy of a migrated template instead."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
        if "db" in request.fixturenames:
            factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
            copy_migrated_sqlite(factory, url)
        yield url
        return
    require_postgres()
    template = migrated_template() if "db" in request.fixturenames else None
    with fresh_postgres_database(template) as url:
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

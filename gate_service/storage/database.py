"""The database handle: one engine, schema migrations, sessions and the ``meta`` table.

The same code runs on the embedded default (a SQLite file in the data directory, shared by
a running server and the CLI) and on PostgreSQL shared by several gateway replicas. What
differs is confined to the engine options here: WAL and a busy timeout for SQLite so two
processes can use one file; the psycopg driver and a UTC session for PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from gate_service.storage.models import Meta

if TYPE_CHECKING:
    from gate_service.config import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# How long SQLite waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10
# Any constant works; it only has to be the same in every replica.
_MIGRATION_LOCK_ID = 0x5350_4944_4552_4754  # "SPIDERGT"

_META = Meta.__table__  # type: ignore[attr-defined]


def normalize_url(url: str) -> URL:
    """Parse a database URL; plain ``postgres://`` and ``postgresql://`` use psycopg 3.

    Hosting platforms hand out ``postgres://`` URLs, and SQLAlchemy's default PostgreSQL
    driver (psycopg2) is not installed, so both spellings are rewritten.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for an in-memory database."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection SQLite settings: WAL so readers never block the writer, a busy
    timeout so the CLI and a running server wait for each other instead of failing, and
    enforced foreign keys so SQLite rejects what PostgreSQL rejects."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _ensure_wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _relax_commits(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection setting of a :meth:`Database.relaxed` handle (see there)."""
    cursor = dbapi_connection.cursor()
    try:
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor.execute("PRAGMA synchronous = NORMAL")
        else:
            cursor.execute("SET synchronous_commit TO OFF")
            # Committed, or the pool's first rollback-on-return would undo the SET.
            dbapi_connection.commit()
    finally:
        cursor.close()


# SQLite result codes: the database (or a table) is locked by another connection.
_SQLITE_BUSY_CODES = (5, 6)


def _ensure_wal(cursor: Any) -> None:
    """Switch the file to WAL once (the mode persists in the file). The switch needs the
    file to itself and SQLite may answer BUSY at once, without its busy handler, while
    another process opens the same file (several replicas starting together): retry."""
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    for attempt in range(100):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", None) not in _SQLITE_BUSY_CODES or attempt == 99:
                raise
            time.sleep(0.05)


class Database:
    """One engine and everything built on it; create one per process and share it."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.engine: Engine = self._create_engine(self.url)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The configured database, or the SQLite file in the data directory."""
        return cls(settings.effective_database_url)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @staticmethod
    def _create_engine(url: URL) -> Engine:
        if url.get_backend_name() == "sqlite":
            path = _sqlite_path(url)
            kwargs: dict[str, Any] = {
                "connect_args": {
                    "check_same_thread": False,
                    "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                }
            }
            if path is None:
                # Every connection to ":memory:" is a new database: share one.
                kwargs["poolclass"] = StaticPool
            else:
                # The file holds token hashes and provider keys: keep its folder private.
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # hide_parameters: no statement's values in an error's message (see below).
            engine = create_engine(url, hide_parameters=True, **kwargs)
            event.listen(engine, "connect", _on_sqlite_connect)
            return engine
        connect_args: dict[str, Any] = {}
        if url.get_backend_name() == "postgresql":
            # Timestamps are stored as timestamptz; a UTC session keeps psql output and
            # date arithmetic in SQL (billing periods) independent of the server's zone.
            if "options" not in url.query:
                connect_args["options"] = "-c timezone=UTC"
            # An unreachable server fails requests quickly instead of hanging them.
            if "connect_timeout" not in url.query:
                connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
        # pre_ping: a replica outlives PostgreSQL restarts without failing requests.
        # hide_parameters: an error's message must not carry the values of its statement
        # into a log (a provider key's ciphertext, token hashes, ledger rows).
        return create_engine(
            url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args
        )

    def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic ``upgrade head``); idempotent.

        Runs in one transaction holding a lock, so replicas starting together take turns:
        PostgreSQL takes a transaction-scoped advisory lock, SQLite's ``BEGIN IMMEDIATE``
        takes the write lock. Whoever comes second finds the schema at head and does
        nothing.
        """
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.connect() as connection:
            if self.dialect == "sqlite":
                # Table rebuilds in future batch migrations must not trip foreign keys;
                # the pragma only takes effect outside a transaction.
                connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            elif self.dialect == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
            try:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                connection.commit()
            except BaseException:
                connection.rollback()
                raise
            finally:
                if self.dialect == "sqlite":
                    connection.exec_driver_sql("PRAGMA foreign_keys = ON")

    def session(self) -> Session:
        """A new ORM session; use it as a context manager (``with db.session() as s:``).

        Objects stay readable after commit (``expire_on_commit=False``) so views can be
        built from them once the transaction is over.
        """
        return Session(self.engine, expire_on_commit=False)

    def session_factory(self) -> Callable[[], Session]:
        """A zero-argument callable returning new sessions, for code that takes a factory."""
        return self.session

    def dispose(self) -> None:
        """Close every pooled connection (at shutdown, or before a process forks)."""
        self.engine.dispose()

    def relaxed(self) -> Database:
        """Another handle on the same database whose commits return without waiting for
        the disk flush (SQLite ``synchronous = NORMAL`` in WAL; PostgreSQL
        ``synchronous_commit = off``): what it writes is visible to every reader at once
        and survives the process's crash, and an OS crash or power loss may lose the last
        moments of it. For data whose loss that way is tolerable and whose writers must not
        wait an fsync (stored responses); everything else keeps this handle's full
        durability. An in-memory SQLite database is this handle itself (a second engine
        would be another, empty, database)."""
        if self.dialect == "sqlite" and _sqlite_path(self.url) is None:
            return self
        other = Database(self.url.render_as_string(hide_password=False))
        event.listen(other.engine, "connect", _relax_commits)
        return other

    def get_meta(self, key: str) -> str | None:
        """The value stored under ``key`` in the meta table, or None."""
        with self.engine.connect() as connection:
            value = connection.execute(
                select(_META.c.value).where(_META.c.key == key)
            ).scalar_one_or_none()
        return None if value is None else str(value)

    def set_meta_if_absent(self, key: str, value: str) -> str:
        """Store ``value`` under ``key`` unless a value exists; return the stored value.

        Race-safe: when several processes try at once exactly one insert wins
        (``INSERT ... ON CONFLICT DO NOTHING``) and everyone gets the winner's value.
        """
        with self.engine.begin() as connection:
            if self.dialect in ("sqlite", "postgresql"):
                insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
                connection.execute(
                    insert(_META)
                    .values(key=key, value=value)
                    .on_conflict_do_nothing(index_elements=["key"])
                )
            else:  # pragma: no cover - only SQLite and PostgreSQL are supported
                try:
                    with connection.begin_nested():
                        connection.execute(_META.insert().values(key=key, value=value))
                except IntegrityError:
                    pass
            stored = connection.execute(
                select(_META.c.value).where(_META.c.key == key)
            ).scalar_one()
        return str(stored)

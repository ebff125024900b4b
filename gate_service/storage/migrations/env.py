"""Alembic environment: runs migrations on the connection ``Database.migrate`` hands over.

``Database.migrate`` builds the Alembic config in code (no ``alembic.ini``) and passes an
open connection, already holding the migration lock, in ``config.attributes``. Without
one, ``sqlalchemy.url`` is used; that is how to draft a new revision from the models::

    from alembic import command
    from alembic.config import Config
    from gate_service.storage.database import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", "sqlite:////tmp/draft.db")  # at head
    command.revision(cfg, "add x", autogenerate=True)

then review the draft by hand; ``tests/storage`` checks migrations against the models.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import gate_service.storage.models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate on the connection given in the config, or on one opened from its URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from gate_service.storage.database import Database

    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set sqlalchemy.url, or call Database(url).migrate()")
    database = Database(url)
    try:
        with database.engine.begin() as connection:
            _run(connection)
    finally:
        database.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported")
run_migrations_online()

"""The credential's ``sk_`` part is stored only as a keyed hash, on SQLite and PostgreSQL.

A brand created now leaves its ``sk_`` part in no column of any table; a credential
stored in the clear by a release before migration 0004 is converted and keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select, table, text
from sqlalchemy.engine import CursorResult
from sqlalchemy.sql import column

from gate_service.auth import tokens
from gate_service.auth.identity import HASH_KEY_META, IdentityStore
from gate_service.errors import GateError
from gate_service.storage.database import MIGRATIONS_DIR, Database

CLIENT_ID = "cli_0123456789abcdef"
OLD_API_KEY = "sk_" + "ab" * 16
OLD_SECRET = "secret_" + "cd" * 16


def _every_value(db: Database) -> Iterator[tuple[str, str, str]]:
    """(table, column, text) for every non-null value of every table."""
    inspector = inspect(db.engine)
    with db.engine.connect() as connection:
        for name in inspector.get_table_names():
            columns = [c["name"] for c in inspector.get_columns(name)]
            # Columns only known at run time: rows of any width.
            rows: CursorResult[*tuple[Any, ...]] = connection.execute(
                select(*(column(c) for c in columns)).select_from(table(name))
            )
            for row in rows:
                for key, value in zip(columns, row, strict=True):
                    if value is not None:
                        yield name, key, str(value)


def _holding(db: Database, secret: str) -> list[tuple[str, str]]:
    return [(t, c) for t, c, value in _every_value(db) if secret in value]


def test_no_column_holds_the_sk_part(db: Database) -> None:
    store = IdentityStore(db)
    brand, credential = store.create_brand("acme")
    extra = store.create_credential(brand.client_id)
    for token in (credential, extra):
        parsed = tokens.parse_token(token)
        assert parsed.api_key is not None and parsed.api_secret is not None
        assert _holding(db, parsed.api_key) == []
        assert _holding(db, parsed.api_secret) == []
        # Not vacuous: the scan does see the credential's rows (the client id and prefix).
        assert ("client_credential", "client_id") in _holding(db, brand.client_id)
        assert ("client_credential", "prefix") in _holding(db, parsed.api_key[:7])
        assert store.authenticate(token).client_id == brand.client_id


def test_a_wrong_sk_part_is_refused(db: Database) -> None:
    store = IdentityStore(db)
    _, credential = store.create_brand("acme")
    client_id, api_key, secret = credential.split(":")
    other_key = "sk_" + ("0" if api_key[3] != "0" else "1") + api_key[4:]
    for token in (f"{client_id}:{other_key}:{secret}", f"cli_{'z' * 16}:{api_key}:{secret}"):
        with pytest.raises(GateError) as caught:
            store.authenticate(token)
        assert caught.value.code == "invalid_api_key"


@pytest.fixture
def old_db(database_url: str) -> Iterator[Database]:
    """A database at revision 0003 holding a brand whose credential's sk_ part is clear."""
    database = Database(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
    key = bytes.fromhex(database.set_meta_if_absent(HASH_KEY_META, "11" * 32))
    now = datetime.now(UTC)
    with database.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO brand (client_id, name, created_at) VALUES (:c, 'acme', :t)"),
            {"c": CLIENT_ID, "t": now},
        )
        connection.execute(
            text(
                "INSERT INTO client_credential (api_key, client_id, secret_hash, created_at)"
                " VALUES (:k, :c, :s, :t)"
            ),
            {"k": OLD_API_KEY, "c": CLIENT_ID, "s": tokens.hash_secret(key, OLD_SECRET), "t": now},
        )
    try:
        yield database
    finally:
        database.dispose()


def test_migration_hashes_existing_credentials(old_db: Database) -> None:
    assert ("client_credential", "api_key") in _holding(old_db, OLD_API_KEY)
    old_db.migrate()
    assert _holding(old_db, OLD_API_KEY) == []
    assert ("client_credential", "prefix") in _holding(old_db, OLD_API_KEY[:7])
    principal = IdentityStore(old_db).authenticate(f"{CLIENT_ID}:{OLD_API_KEY}:{OLD_SECRET}")
    assert (principal.client_id, principal.brand_name) == (CLIENT_ID, "acme")

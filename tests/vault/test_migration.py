"""Upgrading a plain-table (0001) database keeps its keys: migrated to the vault schema,
sealed on first open, readable as before. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from gate_service.storage.database import MIGRATIONS_DIR, Database
from gate_service.vault import KeyStore, VaultCipher
from gate_service.vault.cipher import generate_key
from gate_service.vault.records import KeyOptions

PLAIN = "gsk_plain_0123456789abcdefghijklmnop"


@pytest.fixture
def old_db(database_url: str) -> Iterator[Database]:
    """A database at revision 0001 holding a brand and a plaintext pool and brand key."""
    database = Database(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    now = datetime.now(UTC)
    with database.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO brand (client_id, name, created_at) VALUES (:c, 'acme', :t)"),
            {"c": "cli_0123456789abcdef", "t": now},
        )
        for key_id, owner in (("key_pool", None), ("key_acme", "cli_0123456789abcdef")):
            connection.execute(
                text(
                    "INSERT INTO provider_key (id, client_id, provider, secret, preview,"
                    " base_url, label, active, created_at, updated_at) VALUES"
                    " (:i, :c, 'groq', :s, 'gsk_…nop', NULL, 'old', :a, :t, :t)"
                ),
                {"i": key_id, "c": owner, "s": PLAIN, "a": True, "t": now},
            )
    try:
        yield database
    finally:
        database.dispose()


def test_upgrade_keeps_plaintext_keys_readable(old_db: Database) -> None:
    old_db.migrate()
    with old_db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert list(compare_metadata(context, SQLModel.metadata)) == []

    store = KeyStore(old_db, VaultCipher([generate_key()]))
    assert store.open() == 2
    with old_db.engine.connect() as connection:
        stored = connection.execute(text("SELECT secret FROM provider_key")).scalars().all()
    assert all(s.startswith("fernet:") and PLAIN not in s for s in stored)

    records = {r.id: r for r in store.active_keys()}
    assert {k: r.secret for k, r in records.items()} == {"key_pool": PLAIN, "key_acme": PLAIN}
    acme = records["key_acme"].view
    assert (acme.client_id, acme.label, acme.preview) == ("cli_0123456789abcdef", "old", "gsk_…nop")
    assert acme.options == KeyOptions()  # the new columns took their defaults
    assert store.list_keys("cli_0123456789abcdef", include_pool=False)[0].id == "key_acme"

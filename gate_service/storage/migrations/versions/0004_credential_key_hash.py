"""Client credentials keep only a keyed hash of their ``sk_`` part.

Before this step ``client_credential.api_key`` held the credential's ``sk_`` part in the
clear (it was the primary key); anyone reading the database could recover two thirds of a
brand's credential. The column is replaced by ``key_hash``, the HMAC-SHA256 of the
``sk_`` part under the installation's token hashing key (``meta.token_hash_key``, the key
:mod:`gate_service.auth.identity` hashes every secret with), and ``prefix``, its first
seven characters (``sk_`` and 16 of its 128 bits) to recognise a credential in a list.

Existing rows are converted in place, so credentials issued before the upgrade keep
working. A database with credentials but no hashing key cannot occur (their secret parts
were hashed with it); should one, a key is created, so the step never fails on it.

``created_at`` of credentials and agent tokens gets an index: the authenticator's filter
of known tokens reads the rows created since its last refresh, every few seconds.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Mirrors gate_service.auth.identity.HASH_KEY_META and tokens.hash_secret; copied rather
# than imported so this revision keeps doing what it did when those modules change.
_HASH_KEY_META = "token_hash_key"
_PREFIX_CHARS = 7
_PKEY = "client_credential_pkey"

_meta = sa.table("meta", sa.column("key", sa.String()), sa.column("value", sa.String()))
_credential = sa.table(
    "client_credential",
    sa.column("api_key", sa.String()),
    sa.column("key_hash", sa.String()),
    sa.column("prefix", sa.String()),
)


def _hash_key(connection: sa.Connection) -> bytes:
    stored = connection.execute(
        sa.select(_meta.c.value).where(_meta.c.key == _HASH_KEY_META)
    ).scalar_one_or_none()
    if stored is None:
        stored = secrets.token_hex(32)
        connection.execute(sa.insert(_meta).values(key=_HASH_KEY_META, value=stored))
    return bytes.fromhex(str(stored))


def _hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def upgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table("client_credential") as batch:
        batch.add_column(sa.Column("key_hash", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("prefix", sa.String(length=32), nullable=True))
    api_keys = list(connection.execute(sa.select(_credential.c.api_key)).scalars())
    if api_keys:
        key = _hash_key(connection)
        for api_key in api_keys:
            connection.execute(
                sa.update(_credential)
                .where(_credential.c.api_key == api_key)
                .values(key_hash=_hash(key, api_key), prefix=api_key[:_PREFIX_CHARS])
            )
    if connection.dialect.name == "postgresql":
        op.drop_constraint(_PKEY, "client_credential", type_="primary")
    with op.batch_alter_table("client_credential") as batch:
        batch.drop_column("api_key")
        batch.alter_column("key_hash", existing_type=sa.String(length=128), nullable=False)
        batch.alter_column("prefix", existing_type=sa.String(length=32), nullable=False)
        batch.create_primary_key(_PKEY, ["key_hash"])
    op.create_index("ix_client_credential_created_at", "client_credential", ["created_at"])
    op.create_index("ix_agent_token_created_at", "agent_token", ["created_at"])


def downgrade() -> None:
    # The sk_ parts cannot be recovered from their hashes: after a downgrade the old code
    # finds no credential issued before it (mint new ones). Development databases only.
    op.drop_index("ix_agent_token_created_at", table_name="agent_token")
    op.drop_index("ix_client_credential_created_at", table_name="client_credential")
    connection = op.get_bind()
    with op.batch_alter_table("client_credential") as batch:
        batch.add_column(sa.Column("api_key", sa.String(length=64), nullable=True))
    connection.execute(
        sa.update(_credential).values(api_key=sa.func.substr(_credential.c.key_hash, 1, 64))
    )
    if connection.dialect.name == "postgresql":
        op.drop_constraint(_PKEY, "client_credential", type_="primary")
    with op.batch_alter_table("client_credential") as batch:
        batch.drop_column("key_hash")
        batch.drop_column("prefix")
        batch.alter_column("api_key", existing_type=sa.String(length=64), nullable=False)
        batch.create_primary_key(_PKEY, ["api_key"])

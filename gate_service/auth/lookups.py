"""Finding live tokens by their keyed hash: one, to authenticate a request, or all of them,
to load the filter of known tokens (:mod:`gate_service.auth.known_tokens`).

The queries behind :meth:`IdentityStore.authenticate
<gate_service.auth.identity.IdentityStore.authenticate>` and :meth:`IdentityStore.refresh_known
<gate_service.auth.identity.IdentityStore.refresh_known>`; the store passes in its database
and its hashing key. Every rejection is the one :func:`invalid_api_key`, so that unknown,
revoked and wrong secrets cannot be told apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from gate_service.auth import controls as checks
from gate_service.auth import tokens
from gate_service.auth.principal import ALL_SCOPES, Principal, TokenControls
from gate_service.errors import GateError
from gate_service.storage.database import Database
from gate_service.storage.models import AgentToken, Brand, ClientCredential


def invalid_api_key() -> GateError:
    """The one answer for unknown, revoked or wrong secrets, so none can be told apart."""
    return GateError("invalid_api_key", "Invalid API key.")


def agent_principal(db: Database, key: bytes, parsed: tokens.ParsedToken) -> Principal:
    """The principal of a live agent token, or ``invalid_api_key``."""
    digest = tokens.hash_secret(key, parsed.raw)
    query = select(AgentToken, Brand).join(Brand).where(AgentToken.token_hash == digest)
    with db.session() as session:
        found = session.exec(query).first()
    if found is None:
        raise invalid_api_key()
    row, brand = found
    if row.revoked_at is not None or not tokens.digests_equal(row.token_hash, digest):
        raise invalid_api_key()
    return Principal(
        client_id=row.client_id,
        brand_name=brand.name,
        kind="agent_token",
        token_id=row.id,
        agent_name=row.name,
        scopes=frozenset(row.scopes.split()),
        controls=checks.token_controls(row),
        brand_controls=checks.brand_controls(brand),
    )


def credential_principal(db: Database, key: bytes, parsed: tokens.ParsedToken) -> Principal:
    """The principal of a live client credential, or ``invalid_api_key``."""
    if parsed.client_id is None or parsed.api_key is None or parsed.api_secret is None:
        raise invalid_api_key()  # unreachable: parse_token fills all three
    key_digest = tokens.hash_secret(key, parsed.api_key)
    digest = tokens.hash_secret(key, parsed.api_secret)
    query = (
        select(ClientCredential, Brand).join(Brand).where(ClientCredential.key_hash == key_digest)
    )
    with db.session() as session:
        found = session.exec(query).first()
    if found is None:
        raise invalid_api_key()
    row, brand = found
    # Every comparison always runs: the answer takes as long whichever part is wrong.
    same_key = tokens.digests_equal(row.key_hash, key_digest)
    same_client = tokens.digests_equal(row.client_id, parsed.client_id)
    same_secret = tokens.digests_equal(row.secret_hash, digest)
    if not (same_key and same_client and same_secret) or row.revoked_at is not None:
        raise invalid_api_key()
    return Principal(
        client_id=row.client_id,
        brand_name=brand.name,
        kind="client_credential",
        token_id=None,
        agent_name=None,
        scopes=frozenset(ALL_SCOPES),
        controls=TokenControls(),
        brand_controls=checks.brand_controls(brand),
    )


def live_counts() -> tuple[SelectOfScalar[int], ...]:
    """Queries counting the live agent tokens and client credentials."""
    return (
        select(func.count()).select_from(AgentToken).where(col(AgentToken.revoked_at).is_(None)),
        select(func.count())
        .select_from(ClientCredential)
        .where(col(ClientCredential.revoked_at).is_(None)),
    )


def live_digests(since: datetime | None) -> Iterator[SelectOfScalar[str]]:
    """Queries of the lookup hashes of live tokens and credentials (created since ``since``)."""
    agents = select(AgentToken.token_hash).where(col(AgentToken.revoked_at).is_(None))
    credentials = select(ClientCredential.key_hash).where(
        col(ClientCredential.revoked_at).is_(None)
    )
    if since is not None:
        agents = agents.where(col(AgentToken.created_at) >= since)
        credentials = credentials.where(col(ClientCredential.created_at) >= since)
    yield agents
    yield credentials

"""IdentityStore on SQLite and PostgreSQL: brands, credentials, tokens, authentication."""

from __future__ import annotations

import pytest
from sqlmodel import select

from gate_service.auth import tokens
from gate_service.auth.identity import HASH_KEY_META, IdentityStore
from gate_service.auth.principal import ALL_SCOPES
from gate_service.errors import GateError
from gate_service.storage.database import Database
from gate_service.storage.models import AgentToken, ClientCredential


@pytest.fixture
def store(db: Database) -> IdentityStore:
    return IdentityStore(db)


def _rejection(store: IdentityStore, token: str) -> GateError:
    with pytest.raises(GateError) as caught:
        store.authenticate(token)
    return caught.value


def test_create_brand_and_authenticate_its_credential(store: IdentityStore) -> None:
    brand, credential = store.create_brand("acme")
    assert tokens.parse_token(credential).client_id == brand.client_id
    principal = store.authenticate(credential)
    assert principal.kind == "client_credential"
    assert (principal.client_id, principal.brand_name) == (brand.client_id, "acme")
    assert (principal.token_id, principal.agent_name) == (None, None)
    assert principal.scopes == frozenset(ALL_SCOPES)
    assert store.brand(brand.client_id) == brand
    assert store.brand_by_name("acme") == brand
    assert brand.created_at.tzinfo is not None


def test_duplicate_brand_is_invalid(store: IdentityStore) -> None:
    store.create_brand("acme")
    with pytest.raises(GateError) as caught:
        store.create_brand(" acme ")
    assert caught.value.code == "invalid_request"
    assert caught.value.param == "name"
    assert caught.value.message == "brand 'acme' already exists"


def test_list_brands_and_missing_brands(store: IdentityStore) -> None:
    store.create_brand("zeta")
    store.create_brand("alpha")
    assert [b.name for b in store.list_brands()] == ["alpha", "zeta"]
    assert store.brand("cli_0000000000000000") is None
    assert store.brand_by_name("nobody") is None


def test_extra_credential_authenticates_too(store: IdentityStore) -> None:
    brand, first = store.create_brand("acme")
    second = store.create_credential(brand.client_id)
    assert second != first
    assert store.authenticate(first).client_id == store.authenticate(second).client_id
    with pytest.raises(GateError) as caught:
        store.create_credential("cli_0000000000000000")
    assert caught.value.code == "not_found"


def test_mint_and_authenticate_agent_token(store: IdentityStore) -> None:
    brand, _ = store.create_brand("acme")
    view, token = store.mint_token(brand.client_id, "agent-1")
    assert view.scopes == ALL_SCOPES
    assert view.id.startswith("tok_") and token.startswith(view.prefix)
    principal = store.authenticate(token)
    assert principal.kind == "agent_token"
    assert (principal.client_id, principal.brand_name) == (brand.client_id, "acme")
    assert (principal.token_id, principal.agent_name) == (view.id, "agent-1")
    assert principal.scopes == frozenset(ALL_SCOPES)


def test_mint_with_narrow_scopes(store: IdentityStore) -> None:
    brand, _ = store.create_brand("acme")
    view, token = store.mint_token(brand.client_id, "reader", ["gate:usage", "gate:chat"])
    assert view.scopes == ("gate:chat", "gate:usage")
    assert store.authenticate(token).scopes == frozenset({"gate:chat", "gate:usage"})


@pytest.mark.parametrize("scopes", [["gate:chat", "gate:admin"], [], ["  "]])
def test_mint_rejects_bad_scopes(store: IdentityStore, scopes: list[str]) -> None:
    brand, _ = store.create_brand("acme")
    with pytest.raises(GateError) as caught:
        store.mint_token(brand.client_id, "agent", scopes)
    assert (caught.value.code, caught.value.param) == ("invalid_request", "scopes")


def test_mint_for_unknown_brand_is_not_found(store: IdentityStore) -> None:
    with pytest.raises(GateError) as caught:
        store.mint_token("cli_0000000000000000", "agent")
    assert caught.value.code == "not_found"


def test_every_rejection_looks_the_same(store: IdentityStore) -> None:
    """Wrong secret, unknown client id, unknown key, unknown or revoked token: one answer."""
    brand, credential = store.create_brand("acme")
    other, _ = store.create_brand("other")
    view, token = store.mint_token(brand.client_id, "agent")
    store.revoke_token(brand.client_id, view.id)
    client_id, api_key, _secret = credential.split(":")
    candidates = [
        f"{client_id}:{api_key}:{tokens.new_api_secret()}",  # wrong secret
        f"cli_0000000000000000:{api_key}:{_secret}",  # unknown client id
        f"{other.client_id}:{api_key}:{_secret}",  # another brand's client id
        f"{client_id}:{tokens.new_api_key()}:{_secret}",  # unknown api key
        tokens.new_agent_token(),  # unknown agent token
        token,  # revoked
    ]
    rejections = [_rejection(store, candidate) for candidate in candidates]
    assert {(e.code, e.message, e.http_status) for e in rejections} == {
        ("invalid_api_key", "Invalid API key.", 401)
    }
    assert all(e.headers == {"WWW-Authenticate": "Bearer"} for e in rejections)
    assert all(e.envelope() == rejections[0].envelope() for e in rejections)


def test_malformed_token_is_invalid_format(store: IdentityStore) -> None:
    assert _rejection(store, "not-a-token").code == "invalid_token_format"


def test_revoke_and_list_tokens(store: IdentityStore) -> None:
    brand, _ = store.create_brand("acme")
    first, _ = store.mint_token(brand.client_id, "one")
    second, _ = store.mint_token(brand.client_id, "two")
    revoked = store.revoke_token(brand.client_id, first.id)
    assert revoked.revoked and revoked.revoked_at is not None
    assert store.revoke_token(brand.client_id, first.id).revoked_at == revoked.revoked_at
    assert [t.id for t in store.list_tokens(brand.client_id)] == [second.id]
    assert {t.id for t in store.list_tokens(brand.client_id, include_revoked=True)} == {
        first.id,
        second.id,
    }


def test_cross_brand_revoke_answers_not_found(store: IdentityStore) -> None:
    acme, _ = store.create_brand("acme")
    other, _ = store.create_brand("other")
    view, token = store.mint_token(acme.client_id, "agent")
    errors = []
    for client_id, token_id in [(other.client_id, view.id), (acme.client_id, "tok_none")]:
        with pytest.raises(GateError) as caught:
            store.revoke_token(client_id, token_id)
        errors.append(caught.value)
    assert [(e.code, e.message) for e in errors] == [("not_found", "token not found")] * 2
    assert store.authenticate(token).token_id == view.id  # untouched
    assert store.list_tokens(other.client_id) == []


def test_only_hashes_are_stored(db: Database, store: IdentityStore) -> None:
    brand, credential = store.create_brand("acme")
    _, token = store.mint_token(brand.client_id, "agent")
    secret = credential.split(":")[2]
    with db.session() as session:
        stored = [
            str(row.model_dump())
            for model in (AgentToken, ClientCredential)
            for row in session.exec(select(model)).all()
        ]
    assert stored and not any(token in s or secret in s for s in stored)


def test_hash_key_is_shared_through_the_database(db: Database) -> None:
    """Two stores (two replicas) on one database accept each other's tokens."""
    first, second = IdentityStore(db), IdentityStore(db)
    brand, credential = first.create_brand("acme")
    _, token = second.mint_token(brand.client_id, "agent")
    assert first.authenticate(token).client_id == brand.client_id
    assert second.authenticate(credential).client_id == brand.client_id
    key = db.get_meta(HASH_KEY_META)
    assert key is not None and len(bytes.fromhex(key)) == 32
    stranger = IdentityStore(db, hash_key=b"x" * 32)
    assert _rejection(stranger, token).code == "invalid_api_key"


def test_database_failure_is_unavailable_not_a_rejection() -> None:
    down = Database("postgresql://nobody@127.0.0.1:1/none")
    try:
        error = _rejection(IdentityStore(down), tokens.new_agent_token())
    finally:
        down.dispose()
    assert (error.code, error.http_status) == ("service_unavailable", 503)

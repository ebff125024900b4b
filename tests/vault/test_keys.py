"""KeyStore on SQLite and PostgreSQL (owners, listing, the routing snapshot), and the
masked preview."""

from __future__ import annotations

import dataclasses

import pytest

from gate_service.auth.identity import IdentityStore
from gate_service.errors import GateError
from gate_service.storage.database import Database
from gate_service.vault import KeyRecord, KeyStore, KeyView, VaultCipher, mask
from gate_service.vault.cipher import generate_key
from gate_service.vault.records import KeyPatch

SECRET = "sk-or-v1-0123456789abcdefxyz"


@pytest.mark.parametrize(
    ("secret", "preview"),
    [
        (SECRET, "sk-o…xyz"),
        ("abcdefghijklmnop", "abcd…nop"),  # 16: long enough for 4 + 3
        ("abcdefghijklmno", "…no"),
        ("abcdef", "…ef"),
        ("abcde", "…"),
        ("x", "…"),
        ("", ""),
    ],
)
def test_mask(secret: str, preview: str) -> None:
    assert mask(secret) == preview


@pytest.mark.parametrize("length", range(1, 80))
def test_mask_never_shows_more_than_seven_characters(length: int) -> None:
    secret = "".join(chr(ord("a") + i % 26) for i in range(length))
    shown = mask(secret).replace("…", "")
    assert len(shown) <= 7
    assert len(shown) <= length // 2


@pytest.fixture
def brands(db: Database) -> tuple[str, str]:
    identity = IdentityStore(db)
    return identity.create_brand("acme")[0].client_id, identity.create_brand("other")[0].client_id


@pytest.fixture
def keys(db: Database) -> KeyStore:
    store = KeyStore(db, VaultCipher([generate_key()]))
    store.open()
    return store


def test_add_and_list_keep_secrets_out(keys: KeyStore, brands: tuple[str, str]) -> None:
    acme, _ = brands
    pool = keys.add_key("groq", SECRET, label="shared")
    own = keys.add_key("OpenAI", "sk-proj-abcdefghijklmnop", client_id=acme)
    assert pool.id.startswith("key_") and len(pool.id) == 20
    assert (pool.preview, pool.is_pool, pool.active) == ("sk-o…xyz", True, True)
    assert pool.label == "shared"
    assert (own.provider, own.client_id, own.is_pool) == ("openai", acme, False)
    assert "secret" not in {f.name for f in dataclasses.fields(KeyView)}
    listed = keys.list_keys(acme)
    assert {k.id for k in listed} == {pool.id, own.id}
    assert SECRET not in repr(listed) and "abcdefghijklmnop" not in repr(listed)


def test_listing_respects_owners(keys: KeyStore, brands: tuple[str, str]) -> None:
    acme, other = brands
    pool = keys.add_key("groq", SECRET)
    mine = keys.add_key("groq", SECRET, client_id=acme)
    theirs = keys.add_key("openai", SECRET, client_id=other)
    assert [k.id for k in keys.list_keys()] == [pool.id]
    assert {k.id for k in keys.list_keys(acme)} == {pool.id, mine.id}
    assert [k.id for k in keys.list_keys(acme, include_pool=False)] == [mine.id]
    assert {k.id for k in keys.list_keys(other)} == {pool.id, theirs.id}
    assert [k.id for k in keys.list_keys(other, provider="OpenAI")] == [theirs.id]
    assert keys.list_keys(acme, provider="openai") == []


def test_active_keys_carry_secrets_outside_repr(keys: KeyStore, brands: tuple[str, str]) -> None:
    acme, _ = brands
    kept = keys.add_key("groq", SECRET, client_id=acme)
    dropped = keys.add_key("groq", "sk-another-secret-value")
    keys.deactivate(dropped.id, None)
    records = keys.active_keys()
    assert [r.id for r in records] == [kept.id]
    assert isinstance(records[0], KeyRecord) and records[0].secret == SECRET
    assert SECRET not in repr(records) and SECRET not in str(records[0])
    assert records[0].preview == "sk-o…xyz"


def test_local_provider_needs_no_secret(keys: KeyStore) -> None:
    view = keys.add_key("ollama", "", base_url="http://127.0.0.1:11434/")
    assert (view.preview, view.base_url) == ("", "http://127.0.0.1:11434")
    assert keys.active_keys()[0].secret == ""


@pytest.mark.parametrize(
    ("provider", "secret", "base_url", "param"),
    [
        ("groq", "", None, "secret"),
        ("groq", "  ", None, "secret"),
        ("", SECRET, None, "provider"),
        ("ollama", "", "localhost:11434", "base_url"),
    ],
)
def test_invalid_keys(
    keys: KeyStore, provider: str, secret: str, base_url: str | None, param: str
) -> None:
    with pytest.raises(GateError) as caught:
        keys.add_key(provider, secret, base_url=base_url)
    assert (caught.value.code, caught.value.param) == ("invalid_request", param)
    assert SECRET not in caught.value.message


def test_key_for_unknown_brand_is_not_found(keys: KeyStore) -> None:
    with pytest.raises(GateError) as caught:
        keys.add_key("groq", SECRET, client_id="cli_0000000000000000")
    assert caught.value.code == "not_found"


def test_deactivate_only_by_owner(keys: KeyStore, brands: tuple[str, str]) -> None:
    acme, other = brands
    mine = keys.add_key("groq", SECRET, client_id=acme)
    pool = keys.add_key("groq", SECRET)
    for key_id, owner in [(mine.id, other), (mine.id, None), (pool.id, acme), ("key_x", acme)]:
        with pytest.raises(GateError) as caught:
            keys.deactivate(key_id, owner)
        assert (caught.value.code, caught.value.message) == ("not_found", "key not found")
    assert keys.deactivate(mine.id, acme).active is False
    assert keys.deactivate(mine.id, acme).active is False  # idempotent
    assert keys.deactivate(pool.id, None).active is False
    assert keys.active_keys() == []
    assert {k.active for k in keys.list_keys(acme)} == {False}


def test_an_invalid_mark_outlives_the_process_until_the_key_is_fixed(keys: KeyStore) -> None:
    key = keys.add_key("groq", SECRET)
    other = keys.add_key("groq", "sk-other-0123456789abcdef")

    def invalid() -> set[str]:
        return {r.id for r in keys.active_keys() if r.invalid}

    assert invalid() == set()
    assert keys.mark_invalid(key.id) and not keys.mark_invalid("env:GROQ_API_KEY")
    assert keys.mark_invalid(key.id) is False  # the first mark is kept
    assert invalid() == {key.id}  # what a restarted core reads
    keys.update_key(key.id, None, KeyPatch(label="renamed"))
    assert invalid() == {key.id}  # a label does not fix a key
    keys.update_key(key.id, None, KeyPatch(secret="sk-new-0123456789abcdefgh"))
    assert invalid() == set()  # a new secret may
    keys.mark_invalid(other.id)
    keys.deactivate(other.id, None)
    keys.activate(other.id, None)
    assert invalid() == set()  # switched back on: a fresh chance

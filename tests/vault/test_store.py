"""What the database holds (ciphertext), start-up checks, rotation, updates and deletes,
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
from sqlalchemy import text

from gate_service.auth.identity import IdentityStore
from gate_service.errors import GateError
from gate_service.storage.database import Database
from gate_service.vault import KeyOptions, KeyPatch, KeyStore, VaultCipher, VaultKeyError
from gate_service.vault.cipher import generate_key

SECRET = "gsk_live_0123456789abcdefghijklmnopqrstuv"
OTHER = "gsk_next_9876543210zyxwvutsrqponmlkjihg"


def _stored(db: Database) -> dict[str, str]:
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, secret FROM provider_key")).all()
    return {str(key_id): str(secret) for key_id, secret in rows}


@pytest.fixture
def master() -> str:
    return generate_key()


@pytest.fixture
def store(db: Database, master: str) -> KeyStore:
    keys = KeyStore(db, VaultCipher([master]))
    keys.open()
    return keys


@pytest.fixture
def acme(db: Database) -> str:
    return IdentityStore(db).create_brand("acme")[0].client_id


def test_the_column_holds_ciphertext(db: Database, store: KeyStore) -> None:
    view = store.add_key("groq", SECRET)
    stored = _stored(db)[view.id]
    assert stored.startswith("fernet:") and SECRET not in stored
    assert SECRET[4:-3] not in stored
    assert store.active_keys()[0].secret == SECRET


def test_open_seals_plaintext_rows(db: Database, store: KeyStore) -> None:
    view = store.add_key("groq", SECRET)
    with db.engine.begin() as connection:  # as a 0001-era row would be
        connection.execute(
            text("UPDATE provider_key SET secret = :s WHERE id = :i"), {"s": OTHER, "i": view.id}
        )
    assert store.open() == 1
    assert _stored(db)[view.id].startswith("fernet:")
    assert store.active_keys()[0].secret == OTHER
    assert store.open() == 0  # idempotent


def test_other_master_keys_are_refused_loudly(db: Database, store: KeyStore) -> None:
    view = store.add_key("groq", SECRET)
    stranger = KeyStore(db, VaultCipher([generate_key()]))
    with pytest.raises(VaultKeyError) as caught:
        stranger.open()
    assert "not the ones this database was set up with" in str(caught.value)
    assert SECRET not in str(caught.value)
    # Even with the check value rotated to the stranger, the rows themselves betray it.
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM meta WHERE key = 'vault.check'"))
    with pytest.raises(VaultKeyError) as caught:
        stranger.open()
    assert view.id in str(caught.value) and "cannot be decrypted" in str(caught.value)
    assert stranger.active_keys() == []  # a running process skips what it cannot read


def test_an_empty_database_still_knows_its_key(db: Database, store: KeyStore) -> None:
    with pytest.raises(VaultKeyError):
        KeyStore(db, VaultCipher([generate_key()])).open()


def test_rotate_reencrypts_every_row(db: Database, store: KeyStore, master: str) -> None:
    ids = [store.add_key("groq", SECRET).id, store.add_key("openai", OTHER).id]
    new = generate_key()
    rotating = KeyStore(db, VaultCipher([new, master]))
    rotating.open()
    before = _stored(db)
    assert rotating.rotate() == 2
    after = _stored(db)
    assert all(after[i] != before[i] for i in ids)
    only_new = KeyStore(db, VaultCipher([new]))
    only_new.open()  # the check value moved too
    assert {r.secret for r in only_new.active_keys()} == {SECRET, OTHER}
    with pytest.raises(VaultKeyError):
        KeyStore(db, VaultCipher([master])).open()


def test_update_replaces_the_secret_and_options(store: KeyStore, acme: str) -> None:
    view = store.add_key("groq", SECRET, client_id=acme, options=KeyOptions(rpm_limit=30))
    assert view.options.rpm_limit == 30 and view.options.priority == 100
    updated = store.update_key(
        view.id,
        acme,
        KeyPatch(secret=OTHER, label="backup", priority=5, rpm_limit=0, spend_limit_usd=2.5),
    )
    assert updated.preview == "gsk_…ihg" and updated.label == "backup"
    assert (updated.options.priority, updated.options.rpm_limit) == (5, None)
    assert updated.options.spend_limit_usd == 2.5 and updated.updated_at >= view.updated_at
    assert store.active_keys()[0].secret == OTHER
    assert store.update_key(view.id, acme, KeyPatch(shared=True)).options.shared is True


def test_only_the_owner_reaches_a_key(store: KeyStore, db: Database, acme: str) -> None:
    other = IdentityStore(db).create_brand("other")[0].client_id
    mine = store.add_key("groq", SECRET, client_id=acme)
    pool = store.add_key("groq", OTHER)
    for key_id, owner in [(mine.id, other), (mine.id, None), (pool.id, acme), ("key_x", acme)]:
        attempts: list[Callable[[], object]] = [
            partial(store.get_key, key_id, owner),
            partial(store.update_key, key_id, owner, KeyPatch(label="x")),
            partial(store.delete_key, key_id, owner),
            partial(store.set_active, key_id, owner, False),
            partial(store.secret_of, key_id, owner),
        ]
        for attempt in attempts:
            with pytest.raises(GateError) as caught:
                attempt()
            assert (caught.value.code, caught.value.message) == ("not_found", "key not found")
    assert store.get_key(mine.id, None, any_owner=True).id == mine.id  # the operator reads
    assert store.secret_of(mine.id, acme) == SECRET


def test_delete_is_soft_and_destroys_the_secret(db: Database, store: KeyStore, acme: str) -> None:
    view = store.add_key("groq", SECRET, client_id=acme)
    deleted = store.delete_key(view.id, acme)
    assert deleted.active is False
    assert view.id in _stored(db)  # the row stays for usage history
    assert store.list_keys(acme) == [] and store.active_keys() == []
    assert store.list_keys(every_owner=True) == []
    with pytest.raises(GateError):
        store.get_key(view.id, acme)
    with pytest.raises(GateError):
        store.set_active(view.id, acme, True)
    store.open()  # still decrypts (to nothing)


def test_list_filters(store: KeyStore, acme: str) -> None:
    a = store.add_key("groq", SECRET, client_id=acme)
    b = store.add_key("groq", OTHER, client_id=acme, active=False)
    pool = store.add_key("openai", OTHER)
    assert [k.id for k in store.list_keys(acme, include_pool=False, active=True)] == [a.id]
    assert [k.id for k in store.list_keys(acme, include_pool=False, active=False)] == [b.id]
    assert {k.id for k in store.list_keys(every_owner=True)} == {a.id, b.id, pool.id}
    assert [k.id for k in store.list_keys(every_owner=True, provider="openai")] == [pool.id]


@pytest.mark.parametrize(
    ("options", "param"),
    [
        (KeyOptions(priority=-1), "priority"),
        (KeyOptions(rpm_limit=-5), "rpm_limit"),
        (KeyOptions(rpd_limit=10**12), "rpd_limit"),
        (KeyOptions(spend_limit_usd=-1.0), "spend_limit_usd"),
        (KeyOptions(spend_limit_usd=float("nan")), "spend_limit_usd"),
        (KeyOptions(spend_period="weekly"), "spend_period"),
        (KeyOptions(spend_action="panic"), "spend_action"),
        (KeyOptions(shared=True), "shared"),  # a pool key is in the pool already
    ],
)
def test_invalid_options_name_the_field(store: KeyStore, options: KeyOptions, param: str) -> None:
    with pytest.raises(GateError) as caught:
        store.add_key("groq", SECRET, options=options)
    assert (caught.value.code, caught.value.param) == ("invalid_request", param)
    assert store.list_keys() == []


def test_invalid_updates_change_nothing(store: KeyStore) -> None:
    view = store.add_key("ollama", "", base_url="http://127.0.0.1:11434")
    for patch, param in [
        (KeyPatch(base_url=""), "secret"),  # no secret and no address left
        (KeyPatch(base_url="ftp://x"), "base_url"),
        (KeyPatch(priority=-3), "priority"),
        (KeyPatch(label="x" * 201), "label"),
    ]:
        with pytest.raises(GateError) as caught:
            store.update_key(view.id, None, patch)
        assert caught.value.param == param
    assert store.get_key(view.id, None) == view


def test_the_longest_secret_accepted_fits_its_column(store: KeyStore, db: Database) -> None:
    """PostgreSQL refuses a value longer than the column (a 500 the fuzz found when the
    encrypted form of a 3,100-character secret passed 4,096): the limit is on the bytes
    that get encrypted, and its worst case is stored on both backends."""
    for longest in ("x" * 2048, "€" * 682 + "xx"):  # 2,048 bytes, ASCII and not
        store.add_key("groq", longest)
    assert all(len(secret) <= 4096 for secret in _stored(db).values())
    for too_long in ("x" * 2049, "€" * 683):
        with pytest.raises(GateError) as caught:
            store.add_key("groq", too_long)
        assert (caught.value.code, caught.value.param) == ("invalid_request", "secret")

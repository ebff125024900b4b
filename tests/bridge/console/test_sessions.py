"""The console's session store on SQLite and PostgreSQL, with an injected clock: what is
stored (a hash of the id, the credential sealed), idle and absolute expiry, sign-out, the
purge, and a session seen by a second store on the same database (another replica)."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.exceptions import InvalidTag
from sqlmodel import select

from bridge.console.sessions import SessionStore, csrf_token, seal, unseal
from gate_service.storage.database import Database
from gate_service.storage.models import ConsoleSession

SECRET = "spideriq_pat_" + "ab" * 16


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _store(db: Database, clock: Clock) -> SessionStore:
    return SessionStore(db, idle_s=600, max_age_s=3600, clock=clock)


def test_only_the_hash_and_the_sealed_secret_are_stored(db: Database) -> None:
    store = _store(db, Clock())
    session_id = store.create("agent_token", "cli_x", "agent (brand)", SECRET)
    with db.session() as s:
        (row,) = s.exec(select(ConsoleSession)).all()
    assert row.id_hash == hashlib.sha256(session_id.encode()).hexdigest()
    stored = repr(row.model_dump()).encode() + row.sealed
    assert session_id.encode() not in stored
    assert SECRET.encode() not in stored
    assert unseal(session_id, row.sealed) == SECRET


def test_a_second_store_sees_the_session_and_its_end(db: Database) -> None:
    clock = Clock()
    one, two = _store(db, clock), _store(Database(db.url.render_as_string(False)), clock)
    session_id = one.create("client_credential", "cli_x", "acme", SECRET)
    user = two.load(session_id)
    assert user is not None
    assert (user.kind, user.client_id, user.label, user.secret) == (
        "client_credential",
        "cli_x",
        "acme",
        SECRET,
    )
    assert user.csrf == csrf_token(session_id) and user.can_write
    two.end(session_id)
    assert one.load(session_id) is None


def test_idle_expiry_and_use_that_keeps_it_alive(db: Database) -> None:
    clock = Clock()
    store = _store(db, clock)
    session_id = store.create("client_credential", "cli_x", "acme", SECRET)
    for _ in range(5):  # used every 500 s: never idle for 600 s
        clock.now += 500
        assert store.load(session_id) is not None
    clock.now += 601
    assert store.load(session_id) is None
    with db.session() as s:
        assert s.exec(select(ConsoleSession)).all() == []  # deleted on the way


def test_absolute_expiry_however_used(db: Database) -> None:
    clock = Clock()
    store = _store(db, clock)
    session_id = store.create("operator", "", "operator", "op-token-123456")
    while clock.now < 1_800_000_000.0 + 3600 - 300:
        clock.now += 300
        assert store.load(session_id) is not None
    clock.now += 301
    assert store.load(session_id) is None


def test_purge_drops_idle_sessions_only(db: Database) -> None:
    clock = Clock()
    store = _store(db, clock)
    old = store.create("agent_token", "cli_x", "a", SECRET)
    clock.now += 700
    fresh = store.create("agent_token", "cli_x", "b", SECRET)
    assert store.purge() == 1
    assert store.load(fresh) is not None
    assert store.load(old) is None


def test_agent_sessions_read_only(db: Database) -> None:
    store = _store(db, Clock())
    user = store.load(store.create("agent_token", "cli_x", "a", SECRET))
    assert user is not None and not user.can_write


def test_unknown_ids_and_wrong_keys() -> None:
    sealed = seal("id-one", SECRET)
    with pytest.raises(InvalidTag):
        unseal("id-two", sealed)
    assert csrf_token("id-one") != csrf_token("id-two")

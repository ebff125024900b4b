"""The invite store on SQLite and PostgreSQL: a link is claimed by exactly one caller
however many race for it, a withdrawn invite cancels its mail, a pending invite past its
time reads as expired, and the outbox leases each due mail to one sender."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from gate_service.errors import GateError
from gate_service.invites.records import NewInvite
from gate_service.invites.service import new_token, token_hash
from gate_service.invites.store import InviteStore
from gate_service.storage.database import Database
from gate_service.storage.models import Brand, utcnow

TTL = 72 * 3600.0


@pytest.fixture
def store(db: Database) -> InviteStore:
    with db.session() as session:
        session.add(Brand(client_id="cli_aaaaaaaaaaaaaaaa", name="acme"))
        session.add(Brand(client_id="cli_bbbbbbbbbbbbbbbb", name="other"))
        session.commit()
    return InviteStore(db)


def _invite(store: InviteStore, email: str = "ana@example.com") -> tuple[str, str]:
    token = new_token()
    view = store.create(
        "cli_aaaaaaaaaaaaaaaa",
        NewInvite(email, "groq", label="l"),
        token_hash(token),
        "fernet:sealed",
        utcnow(),
        TTL,
    )
    return view.id, token


def test_a_link_is_claimed_once_among_racing_callers(store: InviteStore) -> None:
    _, token = _invite(store)
    digest, now = token_hash(token), utcnow()

    def claim(_: int) -> str:
        try:
            store.claim(digest, now)
        except GateError as error:
            return error.code
        return "claimed"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(claim, range(8)))
    assert results.count("claimed") == 1 and set(results) == {"claimed", "invite_gone"}


def test_a_refused_key_gives_the_link_back(store: InviteStore) -> None:
    invite_id, token = _invite(store)
    store.claim(token_hash(token), utcnow())
    store.unclaim(invite_id)
    assert store.open(token_hash(token), utcnow()).invite_id == invite_id
    store.claim(token_hash(token), utcnow())
    store.accepted(invite_id, "key_0123456789abcdef", "sk-a…xyz", token_hash(new_token()))
    store.unclaim(invite_id)  # a stored key: the link stays used
    with pytest.raises(GateError) as caught:
        store.open(token_hash(token), utcnow())
    assert caught.value.code == "invite_gone"


def test_expiry_withdrawal_and_tenancy(store: InviteStore) -> None:
    invite_id, token = _invite(store)
    later = utcnow() + timedelta(seconds=TTL + 1)
    assert store.get("cli_aaaaaaaaaaaaaaaa", invite_id, later).status == "expired"
    with pytest.raises(GateError) as caught:
        store.claim(token_hash(token), later)
    assert (caught.value.code, caught.value.http_status) == ("invite_gone", 410)

    with pytest.raises(GateError) as caught:
        store.withdraw("cli_bbbbbbbbbbbbbbbb", invite_id, utcnow())
    assert caught.value.code == "not_found"
    assert store.list_invites("cli_bbbbbbbbbbbbbbbb", None, utcnow()) == []
    view = store.withdraw("cli_aaaaaaaaaaaaaaaa", invite_id, utcnow())
    assert (view.status, view.revoked_by, view.mail_status) == ("revoked", "brand", "cancelled")
    assert store.due(utcnow(), 60) == []


def test_the_outbox_leases_each_mail_to_one_sender(store: InviteStore) -> None:
    invite_id, _ = _invite(store)
    now = utcnow()
    (row, brand_name) = store.due(now, 60)[0]
    assert (row.id, brand_name) == (invite_id, "acme")
    assert store.due(now, 60) == []  # leased
    store.mail_failed(invite_id, 1, "SMTP 451: busy", now + timedelta(seconds=1))
    next_due = store.next_due()
    assert next_due is not None and next_due <= now + timedelta(seconds=1)
    assert store.due(now, 60) == []  # not due yet
    assert [r.id for r, _ in store.due(now + timedelta(seconds=2), 60)] == [invite_id]
    store.mail_sent(invite_id, 2, now)
    view = store.get("cli_aaaaaaaaaaaaaaaa", invite_id, now)
    assert (view.mail_status, view.mail_attempts, view.mail_error) == ("sent", 2, "")
    assert store.next_due() is None

"""The outbox against a real SMTP server and a real database: a mail due is sent once
(a second sender finds it leased, then sent), and a link sealed under a vault key this
process lacks is given up with a reason instead of failing every poll."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import pytest

from gate_service.config import Settings
from gate_service.invites.mailer import MailSettings, Outbox
from gate_service.invites.records import NewInvite
from gate_service.invites.service import new_token, token_hash
from gate_service.invites.store import InviteStore
from gate_service.storage.database import Database
from gate_service.storage.models import Brand, utcnow
from gate_service.vault.cipher import VaultCipher, generate_key
from tests.e2e.invite_support import Inbox, smtp_server

CLIENT = "cli_aaaaaaaaaaaaaaaa"
_runs = itertools.count()  # one inbox for both backends: an address per run


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    yield from smtp_server()


def _outbox(store: InviteStore, cipher: VaultCipher, port: int) -> Outbox:
    settings = Settings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="gate@spidergate.test",
        smtp_security="none",
        public_url="http://gate.test",
    )
    mail = MailSettings.from_settings(settings)
    assert mail is not None
    return Outbox(store, cipher, mail, clock=utcnow, provider_name=str.upper, retry_s=1, attempts=3)


def _queue(db: Database, store: InviteStore, cipher: VaultCipher, email: str) -> str:
    with db.session() as session:
        if session.get(Brand, CLIENT) is None:
            session.add(Brand(client_id=CLIENT, name="acme"))
            session.commit()
    token = new_token()
    view = store.create(
        CLIENT, NewInvite(email, "groq"), token_hash(token), cipher.encrypt(token), utcnow(), 60
    )
    return view.id


def test_a_due_mail_goes_once_between_two_senders(db: Database, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    store, cipher = InviteStore(db), VaultCipher([generate_key()])
    email = f"once{next(_runs)}@example.com"
    invite_id = _queue(db, store, cipher, email)
    first, second = _outbox(store, cipher, port), _outbox(store, cipher, port)

    async def both() -> list[int]:
        return list(await asyncio.gather(first.flush(), second.flush()))

    assert sorted(asyncio.run(both())) == [0, 1]
    inbox.wait_for(email)
    assert [m["To"] for m in inbox.messages].count(email) == 1
    view = store.get(CLIENT, invite_id, utcnow())
    assert (view.mail_status, view.mail_attempts) == ("sent", 1)


def test_a_link_sealed_under_another_vault_key_is_given_up(
    db: Database, smtp: tuple[Inbox, int]
) -> None:
    store = InviteStore(db)
    invite_id = _queue(db, store, VaultCipher([generate_key()]), "lost@example.com")
    outbox = _outbox(store, VaultCipher([generate_key()]), smtp[1])
    assert asyncio.run(outbox.flush()) == 0
    view = store.get(CLIENT, invite_id, utcnow())
    assert view.mail_status == "failed" and "vault key changed" in view.mail_error
    assert asyncio.run(outbox.flush()) == 0  # not tried again

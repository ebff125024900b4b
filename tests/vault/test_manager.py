"""VaultManager: access rules, health reset on edits, refresh after writes, and the
connection test against the real mock provider (SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gate_service.auth.identity import IdentityStore
from gate_service.catalog.loader import load_bundled
from gate_service.catalog.snapshot import Catalog
from gate_service.errors import GateError
from gate_service.providers.address_policy import AddressPolicy
from gate_service.providers.base import FailureKind, UpstreamFailure
from gate_service.providers.registry import default_adapters
from gate_service.providers.transport import create_session
from gate_service.routing.health import HealthBook
from gate_service.storage.database import Database
from gate_service.vault import KeyPatch, KeyStore, VaultCipher
from gate_service.vault.cipher import generate_key
from gate_service.vault.manager import Caller, VaultManager
from gate_service.vault.records import KeyQuery, NewKey
from mock_provider.server import MockServer, start_mock

SECRET = "gsk_live_0123456789abcdefghijklmnopqrstuv"
OPERATOR = Caller(client_id=None)


class Harness:
    def __init__(self, manager: VaultManager, mock: MockServer, acme: str, other: str) -> None:
        self.manager, self.mock = manager, mock
        self.acme, self.other = Caller(acme), Caller(other)
        self.refreshes = 0

    @property
    def url(self) -> str:
        return self.mock.url + "/groq/v1"


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    db = Database(f"sqlite:///{tmp_path / 'data' / 'db.sqlite'}")
    db.migrate()
    identity = IdentityStore(db)
    acme = identity.create_brand("acme")[0].client_id
    other = identity.create_brand("other")[0].client_id
    store = KeyStore(db, VaultCipher([generate_key()]))
    store.open()
    catalog = Catalog(load_bundled())
    mock = await start_mock()
    # The mock listens on loopback, which brand keys may use only where allowed.
    policy = AddressPolicy.from_settings(["127.0.0.0/8"])
    session = create_session(policy)
    box: list[Harness] = []

    async def refresh() -> None:
        box[0].refreshes += 1

    manager = VaultManager(
        store,
        catalog=lambda: catalog,
        adapters=default_adapters(),
        session=session,
        health=HealthBook(),
        refresh=refresh,
        policy=policy,
    )
    box.append(Harness(manager, mock, acme, other))
    yield box[0]
    await session.close()
    await mock.close()
    db.dispose()


async def test_brands_and_the_operator_stay_in_their_lanes(harness: Harness) -> None:
    m = harness.manager
    mine = await m.create(harness.acme, NewKey("groq", SECRET))
    pool = await m.create(OPERATOR, NewKey("groq", SECRET))
    assert (mine.client_id, pool.client_id) == (harness.acme.client_id, None)
    assert harness.refreshes == 2

    for attempt in (
        m.get(harness.other, mine.id),
        m.update(harness.other, mine.id, KeyPatch(label="x")),
        m.delete(harness.other, mine.id),
        m.set_active(harness.other, mine.id, False),
        m.update(OPERATOR, mine.id, KeyPatch(label="x")),  # the operator writes pool keys only
        m.get(harness.acme, pool.id),
    ):
        with pytest.raises(GateError) as caught:
            await attempt
        assert (caught.value.code, caught.value.message) == ("not_found", "key not found")

    assert (await m.get(OPERATOR, mine.id)).id == mine.id  # but reads everything
    assert [v.id for v in await m.list_keys(harness.other, KeyQuery(include_pool=True))] == [
        pool.id
    ]
    assert {v.id for v in await m.list_keys(OPERATOR, KeyQuery())} == {mine.id, pool.id}


async def test_edits_and_reactivation_reset_health(harness: Harness) -> None:
    m = harness.manager
    view = await m.create(harness.acme, NewKey("groq", SECRET))
    m.health.failed(view.id, UpstreamFailure(FailureKind.AUTH, 401, "no"), "groq", "x")
    assert m.state(view) == "invalid"
    await m.update(harness.acme, view.id, KeyPatch(label="renamed"))
    assert m.state(view) == "invalid"  # a label does not fix a key
    invalid = await m.list_keys(harness.acme, KeyQuery(state="invalid"))
    assert [v.id for v in invalid] == [view.id]
    await m.update(harness.acme, view.id, KeyPatch(secret="gsk_new_0123456789abcdef"))
    assert m.state(view) == "healthy"

    m.health.failed(view.id, UpstreamFailure(FailureKind.AUTH, 401, "no"), "groq", "x")
    off = await m.set_active(harness.acme, view.id, False)
    assert m.state(off) == "inactive"
    on = await m.set_active(harness.acme, view.id, True)
    assert m.state(on) == "healthy"


async def test_create_checks_the_catalog(harness: Harness) -> None:
    for new, param in [
        (NewKey("nosuch", SECRET), "provider"),
        (NewKey("cloudflare", SECRET), "base_url"),  # its URL has an account placeholder
        (NewKey("groq", SECRET, base_url="ftp://x"), "base_url"),
    ]:
        with pytest.raises(GateError) as caught:
            await harness.manager.create(harness.acme, new)
        assert caught.value.param == param
    assert await harness.manager.list_keys(OPERATOR, KeyQuery()) == []

    account = "https://api.cloudflare.com/client/v4/accounts/abc/ai/v1"
    view = await harness.manager.create(harness.acme, NewKey("cloudflare", SECRET, account))
    with pytest.raises(GateError) as caught:  # and an update cannot take the address away
        await harness.manager.update(harness.acme, view.id, KeyPatch(base_url=""))
    assert caught.value.param == "base_url"


async def test_connection_test_passes_and_fails(harness: Harness) -> None:
    m, mock = harness.manager, harness.mock
    good = NewKey("groq", SECRET, base_url=harness.url, test_connection=True)
    view = await m.create(harness.acme, good)
    probe = mock.state.records[-1]
    assert probe.key == SECRET and probe.body["max_tokens"] == 1

    mock.state.add_fault({"kind": "error", "status": 401, "match": {"key": "bad-key-123456"}})
    bad = NewKey("groq", "bad-key-123456", base_url=harness.url, test_connection=True)
    with pytest.raises(GateError) as caught:
        await m.create(harness.acme, bad)
    assert caught.value.code == "invalid_request" and caught.value.param == "secret"
    assert "rejected the key (401)" in caught.value.message
    assert "bad-key-123456" not in caught.value.message
    assert [v.id for v in await m.list_keys(harness.acme, KeyQuery())] == [view.id]

    with pytest.raises(GateError):  # an update that would break the key changes nothing
        await m.update(
            harness.acme, view.id, KeyPatch(secret="bad-key-123456"), test_connection=True
        )
    assert (await m.get(harness.acme, view.id)).preview == view.preview

"""Per-token and per-brand controls in the identity store, on SQLite and PostgreSQL:
minted, updated, validated, and carried by the authenticated principal."""

from __future__ import annotations

import pytest

from gate_service.auth.identity import IdentityStore
from gate_service.auth.principal import ALL_SCOPES, BrandControls, TokenControls
from gate_service.errors import GateError
from gate_service.storage.database import Database


@pytest.fixture
def store(db: Database) -> IdentityStore:
    return IdentityStore(db)


def _invalid(call: object, param: str) -> str:
    with pytest.raises(GateError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.code == "invalid_request" and caught.value.param == param
    return caught.value.message


def test_mint_with_controls_and_authenticate(store: IdentityStore) -> None:
    brand, credential = store.create_brand("acme")
    wanted = TokenControls(
        rpm=60,
        rpd=1000,
        budget_usd=10.0,
        budget_mode="soft",
        allowed_models=frozenset({"gpt-4o", "spideriq/fast"}),
        free_only=True,
    )
    view, token = store.mint_token(brand.client_id, "agent", ["gate:chat"], wanted)
    assert view.controls == wanted
    principal = store.authenticate(token)
    assert principal.controls == wanted
    assert principal.brand_controls == BrandControls()
    assert principal.scopes == {"gate:chat"}
    # A client credential: no token controls, every scope, the brand's controls.
    whole = store.authenticate(credential)
    assert whole.controls == TokenControls() and whole.scopes == frozenset(ALL_SCOPES)


def test_new_tokens_have_no_limits(store: IdentityStore) -> None:
    brand, _ = store.create_brand("acme")
    view, token = store.mint_token(brand.client_id, "agent")
    assert view.controls == TokenControls() == store.authenticate(token).controls


def test_update_changes_only_what_is_given(store: IdentityStore) -> None:
    brand, _ = store.create_brand("acme")
    view, token = store.mint_token(
        brand.client_id, "agent", None, TokenControls(rpm=60, budget_usd=5.0)
    )
    updated = store.update_token(brand.client_id, view.id, rpd=500, allowed_models=["gpt-4o"])
    assert updated.controls == TokenControls(
        rpm=60, rpd=500, budget_usd=5.0, allowed_models=frozenset({"gpt-4o"})
    )
    cleared = store.update_token(
        brand.client_id, view.id, rpm=None, budget_usd=None, allowed_models=[], free_only=True
    )
    assert cleared.controls == TokenControls(rpd=500, free_only=True)
    narrowed = store.update_token(brand.client_id, view.id, scopes=["gate:usage"])
    assert narrowed.scopes == ("gate:usage",)
    assert store.authenticate(token).controls == TokenControls(rpd=500, free_only=True)
    assert store.list_tokens(brand.client_id)[0].controls == narrowed.controls


def test_update_is_confined_to_the_brand(store: IdentityStore) -> None:
    acme, _ = store.create_brand("acme")
    other, _ = store.create_brand("other")
    view, _ = store.mint_token(acme.client_id, "agent")
    for client_id, token_id in ((other.client_id, view.id), (acme.client_id, "tok_nope")):
        with pytest.raises(GateError) as caught:
            store.update_token(client_id, token_id, rpm=1)
        assert caught.value.code == "not_found" and caught.value.message == "token not found"
    store.revoke_token(acme.client_id, view.id)
    message = _invalid(lambda: store.update_token(acme.client_id, view.id, rpm=1), "token_id")
    assert "revoked" in message


def test_controls_are_validated(store: IdentityStore) -> None:
    brand, _ = store.create_brand("acme")
    cid = brand.client_id
    view, _ = store.mint_token(cid, "agent")
    assert "at least 1" in _invalid(lambda: store.update_token(cid, view.id, rpm=0), "rpm")
    assert "at least 1" in _invalid(lambda: store.update_token(cid, view.id, rpd=-5), "rpd")
    _invalid(lambda: store.update_token(cid, view.id, budget_usd=-1.0), "budget_usd")
    _invalid(lambda: store.update_token(cid, view.id, budget_usd=float("inf")), "budget_usd")
    _invalid(lambda: store.update_token(cid, view.id, budget_mode="maybe"), "budget_mode")
    _invalid(lambda: store.update_token(cid, view.id, allowed_models=["a b"]), "allowed_models")
    too_long = ["m" * 4001]
    _invalid(lambda: store.update_token(cid, view.id, allowed_models=too_long), "allowed_models")
    _invalid(lambda: store.mint_token(cid, "x", None, TokenControls(rpm=0)), "rpm")
    # Nothing was half-applied.
    assert store.list_tokens(cid)[0].controls == TokenControls()


def test_brand_budget(store: IdentityStore) -> None:
    brand, credential = store.create_brand("acme")
    _, token = store.mint_token(brand.client_id, "agent")
    updated = store.set_brand_budget(
        brand.client_id, budget_usd=100.0, budget_mode="soft", billing_anchor_day=15
    )
    assert updated.controls == BrandControls(100.0, "soft", 15)
    assert store.brand(brand.client_id) == updated
    assert store.authenticate(token).brand_controls == updated.controls
    assert store.authenticate(credential).brand_controls == updated.controls
    kept = store.set_brand_budget(brand.client_id, budget_usd=None)
    assert kept.controls == BrandControls(None, "soft", 15)
    for day in (0, 29):
        _invalid(
            lambda day=day: store.set_brand_budget(brand.client_id, billing_anchor_day=day),
            "billing_anchor_day",
        )
    with pytest.raises(GateError) as caught:
        store.set_brand_budget("cli_0000000000000000", budget_usd=1.0)
    assert caught.value.code == "not_found"

"""The routing snapshot of client aliases (client_aliases/book.py) as planning reads it:
each slot pinned to its own key of the brand, never a pool key; refused slots keep their
verdicts; another brand's alias is unknown (404)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gate_service.catalog.loader import load_bundled
from gate_service.catalog.snapshot import Catalog
from gate_service.chat.needs import needs_of
from gate_service.client_aliases.book import ClientAliasBook
from gate_service.client_aliases.records import ClientAlias, KeyStatus, Slot, alias_model
from gate_service.errors import GateError
from gate_service.providers.registry import default_adapters
from gate_service.routing.keys import KeyPool, UsableKey
from gate_service.routing.outcome import RequestContext
from gate_service.routing.plan import Planned
from gate_service.routing.planning import Planner
from tests.domain.build import chat_request

CATALOG = Catalog(load_bundled())
BRAND, OTHER = "cli_brand", "cli_other"
MODEL = "llama-3.1-8b-instant"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
URL = "http://127.0.0.1:1/v1"


def key(key_id: str, client_id: str | None, provider: str = "groq") -> UsableKey:
    return UsableKey(key_id, provider, client_id, "x…y", URL, "vault", "s-" + key_id)


def pool_and_brand_keys() -> KeyPool:
    keys = KeyPool()
    keys.replace([key("pool-groq", None), key("k1", BRAND), key("k2", BRAND), key("k3", OTHER)])
    return keys


def statuses(**active: bool) -> dict[str, KeyStatus]:
    owners = {"k1": BRAND, "k2": BRAND, "k3": OTHER}
    return {k: KeyStatus(k, owners[k], "groq", k, active.get(k, True)) for k in ("k1", "k2", "k3")}


def alias(*slots: Slot, enabled: bool = True, leaf: str = "pair") -> ClientAlias:
    return ClientAlias(BRAND, leaf, None, enabled, slots, NOW, NOW)


def planner(book: ClientAliasBook) -> Planner:
    return Planner(lambda: CATALOG, pool_and_brand_keys(), default_adapters(), book)


def prepare(
    book: ClientAliasBook, model: str, client_id: str | None = BRAND, **body: object
) -> list[Planned]:
    request = chat_request(
        {"model": model, "messages": [{"role": "user", "content": "hi"}], **body}
    )
    return planner(book).prepare(RequestContext(client_id, "r"), needs_of(request))


def test_each_slot_is_pinned_to_its_own_key_and_never_the_pool() -> None:
    book = ClientAliasBook()
    book.replace([alias(Slot("k1", "groq", MODEL), Slot("k2", "groq", MODEL))], statuses())
    planned = prepare(book, alias_model(BRAND, "pair"))
    assert [[k.id for k in p.keys] for p in planned] == [["k1"], ["k2"]]
    assert all(p.item.via_alias == alias_model(BRAND, "pair") for p in planned)


def test_another_brands_alias_and_a_missing_one_are_the_same_404() -> None:
    book = ClientAliasBook()
    book.replace([alias(Slot("k1", "groq", MODEL))], statuses())
    for model, caller in ((alias_model(BRAND, "pair"), OTHER), (alias_model(BRAND, "no"), BRAND)):
        with pytest.raises(GateError) as missing:
            prepare(book, model, caller)
        assert (missing.value.code, missing.value.param) == ("model_not_found", "model")


def test_refused_slots_keep_their_verdicts() -> None:
    book = ClientAliasBook()
    slots = (Slot("k1", "groq", MODEL, enabled=False), Slot("k2", "groq", MODEL))
    book.replace([alias(*slots)], statuses(k2=False))
    with pytest.raises(GateError) as refused:
        prepare(book, alias_model(BRAND, "pair"))
    candidates = refused.value.body["spidergate_error"]["candidates"]
    assert [(c["key_id"], c["verdict"]) for c in candidates] == [
        ("k1", "slot is disabled"),
        ("k2", "key is inactive"),
    ]
    book.replace([alias(*slots, enabled=False)], statuses())
    with pytest.raises(GateError) as off:
        prepare(book, alias_model(BRAND, "pair"))
    verdicts = {c["verdict"] for c in off.value.body["spidergate_error"]["candidates"]}
    assert verdicts == {"client alias is disabled"}


def test_a_key_missing_from_the_snapshot_is_refused_not_replaced() -> None:
    """A slot whose key is gone from the routing snapshot (deleted, or another brand's
    since) is refused: the pool's key of the same provider never stands in."""
    book = ClientAliasBook()
    book.replace([alias(Slot("k3", "groq", MODEL))], statuses())
    with pytest.raises(GateError) as refused:
        prepare(book, alias_model(BRAND, "pair"))
    assert refused.value.body["spidergate_error"]["candidates"][0]["verdict"] == "key was deleted"
    keys_without_k1 = statuses()
    del keys_without_k1["k1"]
    book.replace([alias(Slot("k1", "groq", MODEL))], keys_without_k1)
    with pytest.raises(GateError):
        prepare(book, alias_model(BRAND, "pair"))


def test_slots_on_one_model_with_two_keys_are_both_kept_and_fallbacks_resolve() -> None:
    book = ClientAliasBook()
    book.replace([alias(Slot("k1", "groq", MODEL), Slot("k2", "groq", MODEL))], statuses())
    planned = prepare(
        book,
        "cerebras/llama3.1-8b",
        spidergate_options={"fallback_models": [alias_model(BRAND, "pair")]},
    )
    # No cerebras key at all here: the first choice is refused, the alias's slots stay.
    assert [(p.item.provider.id, [k.id for k in p.keys]) for p in planned] == [
        ("groq", ["k1"]),
        ("groq", ["k2"]),
    ]
    assert planner(book).is_alias(alias_model(BRAND, "pair"))
    assert not planner(book).is_alias(alias_model(OTHER, "pair"))

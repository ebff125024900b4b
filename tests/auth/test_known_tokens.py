"""The filter of known tokens: its bounds, and the store keeping it fresh, on SQLite and
PostgreSQL; the authenticator answering unknown tokens without the database."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import event, update

from gate_service.auth import tokens
from gate_service.auth.authenticator import Authenticator
from gate_service.auth.identity import IdentityStore
from gate_service.auth.known_tokens import OVERLAP_S, REBUILD_S, BloomFilter, KnownTokens
from gate_service.errors import GateError
from gate_service.storage.database import Database
from gate_service.storage.models import AgentToken, utcnow


def _digest() -> str:
    return secrets.token_hex(32)


def test_the_default_filter_is_1_2_mb_with_7_probes() -> None:
    bloom = BloomFilter(1_000_000)
    assert bloom.probes == 7
    assert 1_190_000 < bloom.nbytes < 1_210_000


def test_no_false_negatives_and_the_stated_false_positive_rate() -> None:
    bloom = BloomFilter(20_000)
    added = [_digest() for _ in range(20_000)]
    for digest in added:
        bloom.add(digest)
    assert all(digest in bloom for digest in added)
    trials = 100_000
    positives = sum(_digest() in bloom for _ in range(trials))
    assert 0.005 < positives / trials < 0.02  # 1 % when full
    sparse = BloomFilter(1_000_000)
    for digest in added[:10_000]:
        sparse.add(digest)
    assert sum(_digest() in sparse for _ in range(trials)) == 0  # ~1e-15 when sparse


def test_adds_during_a_rebuild_are_kept() -> None:
    known = KnownTokens(capacity=100)
    assert known.may_know(_digest())  # not loaded yet: everything goes to the database
    early, during = _digest(), _digest()
    known.finish_rebuild([early], 1)
    known.begin_rebuild()
    known.add(during)  # minted while the rebuild read the database
    known.finish_rebuild([early], 1)
    assert known.ready and known.may_know(early) and known.may_know(during)
    known.begin_rebuild()
    known.cancel_rebuild()
    known.add(_digest())
    assert len(known) == 3


def test_capacity_doubles_when_outgrown() -> None:
    known = KnownTokens(capacity=100)
    digests = [_digest() for _ in range(250)]
    known.finish_rebuild(digests, len(digests))
    assert known.nbytes == BloomFilter(400).nbytes
    assert all(known.may_know(d) for d in digests)


class Queries:
    """Token lookups executed on an engine."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: object) -> None:
        statement = str(args[2])
        if "token_hash =" in statement or "key_hash =" in statement:
            self.count += 1


async def test_unknown_tokens_never_reach_the_database(db: Database) -> None:
    store = IdentityStore(db)
    brand, credential = store.create_brand("acme")
    _, token = store.mint_token(brand.client_id, "agent", None)
    store.refresh_known()
    # A frozen clock: the budget of lookups for unknown tokens (5 a second) never refills.
    auth = Authenticator(store, ttl_s=5.0, miss_lookups_per_s=5.0, clock=lambda: 0.0)
    queries = Queries(db)
    for _ in range(500):
        for bad in (
            f"spideriq_pat_{secrets.token_hex(16)}",
            f"{brand.client_id}:sk_{secrets.token_hex(16)}:{credential.split(':')[2]}",
        ):
            with pytest.raises(GateError) as caught:
                await auth.authenticate(f"Bearer {bad}")
            assert caught.value.code == "invalid_api_key"
    # 1,000 unknown tokens: the first 5 spent the budget, the other 995 asked nothing.
    assert queries.count == 5 and len(auth) == 5
    assert (await auth.authenticate(f"Bearer {token}")).agent_name == "agent"
    assert (await auth.authenticate(f"Bearer {credential}")).kind == "client_credential"
    assert queries.count == 7
    # Minted through this store: known at once, no refresh needed.
    _, fresh = store.mint_token(brand.client_id, "fresh", None)
    assert (await auth.authenticate(f"Bearer {fresh}")).agent_name == "fresh"
    fresh_credential = store.create_credential(brand.client_id)
    assert (await auth.authenticate(f"Bearer {fresh_credential}")).client_id == brand.client_id


async def test_a_token_from_elsewhere_works_at_once_outside_a_flood(db: Database) -> None:
    """Minted by the CLI (another store on the same database) after the filter was
    loaded: unknown to the filter, but the lookup budget lets its first request ask the
    database, so it works at once; during a flood it waits for the next refresh."""
    mine, other = IdentityStore(db), IdentityStore(db)
    brand, _ = mine.create_brand("acme")
    mine.refresh_known()
    now = [0.0]
    auth = Authenticator(mine, ttl_s=5.0, miss_lookups_per_s=5.0, clock=lambda: now[0])
    _, token = other.mint_token(brand.client_id, "cli", None)
    assert (await auth.authenticate(f"Bearer {token}")).agent_name == "cli"
    for _ in range(10):  # a flood spends the budget...
        with pytest.raises(GateError):
            await auth.authenticate(f"Bearer spideriq_pat_{secrets.token_hex(16)}")
    _, during = other.mint_token(brand.client_id, "during", None)
    with pytest.raises(GateError):  # ...so a token minted now waits for the refresh
        await auth.authenticate(f"Bearer {during}")
    now[0] += 1.0  # or for the budget to refill (the negative answer lasts 2 s here)
    mine.refresh_known()
    auth.clear()
    assert (await auth.authenticate(f"Bearer {during}")).agent_name == "during"


def test_tokens_from_elsewhere_arrive_with_the_next_refresh(db: Database) -> None:
    mine, other = IdentityStore(db), IdentityStore(db)  # this process, and the CLI
    brand, _ = mine.create_brand("acme")
    start = utcnow()
    mine.refresh_known(start)
    _, token = other.mint_token(brand.client_id, "cli", None)
    digest = mine.lookup_digest(tokens.parse_token(token))
    assert not mine.known.may_know(digest)
    mine.refresh_known(start + timedelta(seconds=5))  # incremental
    assert mine.known.may_know(digest)

    # A minting clock behind ours, within the overlap: still picked up incrementally.
    _, late = other.mint_token(brand.client_id, "late", None)
    _backdate(db, late, OVERLAP_S - 10)
    mine.refresh_known(start + timedelta(seconds=10))
    assert mine.known.may_know(mine.lookup_digest(tokens.parse_token(late)))

    # Further behind than the overlap: the periodic full rebuild repairs it.
    _, skewed = other.mint_token(brand.client_id, "skewed", None)
    _backdate(db, skewed, 3 * OVERLAP_S)
    mine.refresh_known(start + timedelta(seconds=15))
    skewed_digest = mine.lookup_digest(tokens.parse_token(skewed))
    assert not mine.known.may_know(skewed_digest)
    mine.refresh_known(start + timedelta(seconds=REBUILD_S + 1))
    assert mine.known.may_know(skewed_digest)


def test_a_full_rebuild_drops_revoked_tokens(db: Database) -> None:
    store = IdentityStore(db)
    brand, _ = store.create_brand("acme")
    views = [store.mint_token(brand.client_id, f"a{i}", None)[0] for i in range(3)]
    start = utcnow()
    store.refresh_known(start)
    assert len(store.known) == 4  # three tokens and the brand's credential
    store.revoke_token(brand.client_id, views[0].id)
    store.refresh_known(start + timedelta(seconds=REBUILD_S))
    assert len(store.known) == 3


def _backdate(db: Database, token: str, seconds: float) -> None:
    digest = IdentityStore(db).lookup_digest(tokens.parse_token(token))
    with db.engine.begin() as connection:
        connection.execute(
            update(AgentToken)
            .where(AgentToken.token_hash == digest)  # type: ignore[arg-type]
            .values(created_at=utcnow() - timedelta(seconds=seconds))
        )

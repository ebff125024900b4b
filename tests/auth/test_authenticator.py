"""Authenticator: cache hits skip the store, TTLs bound revocation, misses coalesce."""

from __future__ import annotations

import asyncio
import threading

import pytest

from gate_service.auth import tokens
from gate_service.auth.authenticator import Authenticator
from gate_service.auth.identity import IdentityStore
from gate_service.auth.principal import Principal
from gate_service.errors import GateError
from gate_service.storage.database import Database

TTL = 5.0
NEGATIVE_TTL = 2.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingStore(IdentityStore):
    """The real store, counting lookups. After ``hold()`` a lookup waits until the test
    calls ``release()``, so concurrent callers meet it in flight (an event, not a delay
    that a busy machine could outlast)."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.calls = 0
        self._lock = threading.Lock()
        self._started = threading.Event()
        self._open = threading.Event()
        self._open.set()

    def hold(self) -> CountingStore:
        self._open.clear()
        return self

    async def started(self) -> None:
        """Return once a lookup is under way (waiting off the loop, which must run it)."""
        assert await asyncio.to_thread(self._started.wait, 10), "no lookup started"

    def release(self) -> None:
        self._open.set()

    def authenticate(self, token: str) -> Principal:
        with self._lock:
            self.calls += 1
        self._started.set()
        self._open.wait(10)
        return super().authenticate(token)


@pytest.fixture
def store(db: Database) -> CountingStore:
    return CountingStore(db)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(store: CountingStore, clock: Clock) -> Authenticator:
    return Authenticator(store, TTL, negative_ttl_s=NEGATIVE_TTL, clock=clock)


def _agent(store: IdentityStore) -> tuple[str, str, str]:
    """(client_id, token_id, token) of a new agent token."""
    brand, _ = store.create_brand(f"brand-{tokens.new_token_id()}")
    view, token = store.mint_token(brand.client_id, "agent")
    return brand.client_id, view.id, token


async def _code(auth: Authenticator, header: str | None) -> str:
    with pytest.raises(GateError) as caught:
        await auth.authenticate(header)
    return caught.value.code


async def test_hit_within_ttl_skips_the_store(
    auth: Authenticator, store: CountingStore, clock: Clock
) -> None:
    client_id, token_id, token = _agent(store)
    first = await auth.authenticate(f"Bearer {token}")
    clock.now += TTL - 0.1
    second = await auth.authenticate(f"bearer {token}")
    assert first == second and first.token_id == token_id and first.client_id == client_id
    assert store.calls == 1
    clock.now += 0.2  # past the TTL
    await auth.authenticate(f"Bearer {token}")
    assert store.calls == 2


async def test_revoked_elsewhere_stops_working_within_ttl(
    db: Database, auth: Authenticator, store: CountingStore, clock: Clock
) -> None:
    client_id, token_id, token = _agent(store)
    await auth.authenticate(f"Bearer {token}")
    IdentityStore(db).revoke_token(client_id, token_id)  # another replica, or the CLI
    clock.now += TTL - 0.1
    assert (await auth.authenticate(f"Bearer {token}")).token_id == token_id
    clock.now += 0.2
    assert await _code(auth, f"Bearer {token}") == "invalid_api_key"


async def test_invalidate_token_takes_effect_at_once(
    auth: Authenticator, store: CountingStore
) -> None:
    client_id, token_id, token = _agent(store)
    other = _agent(store)[2]
    await auth.authenticate(f"Bearer {token}")
    await auth.authenticate(f"Bearer {other}")
    store.revoke_token(client_id, token_id)
    auth.invalidate_token(token_id)
    assert await _code(auth, f"Bearer {token}") == "invalid_api_key"
    calls = store.calls
    await auth.authenticate(f"Bearer {other}")  # other tokens stay cached
    assert store.calls == calls


async def test_rejections_are_cached_briefly(
    auth: Authenticator, store: CountingStore, clock: Clock
) -> None:
    unknown = f"Bearer {tokens.new_agent_token()}"
    assert await _code(auth, unknown) == "invalid_api_key"
    assert await _code(auth, unknown) == "invalid_api_key"
    assert store.calls == 1
    clock.now += NEGATIVE_TTL + 0.1
    assert await _code(auth, unknown) == "invalid_api_key"
    assert store.calls == 2


async def test_cached_rejection_is_a_fresh_401(auth: Authenticator) -> None:
    unknown = f"Bearer {tokens.new_agent_token()}"
    errors = []
    for _ in range(2):
        with pytest.raises(GateError) as caught:
            await auth.authenticate(unknown)
        errors.append(caught.value)
    assert errors[0] is not errors[1]
    assert errors[1].headers == {"WWW-Authenticate": "Bearer"}
    assert errors[1].message == "Invalid API key."


async def test_header_errors_never_reach_the_store(
    auth: Authenticator, store: CountingStore
) -> None:
    assert await _code(auth, None) == "missing_api_key"
    assert await _code(auth, "Bearer ") == "missing_api_key"
    assert await _code(auth, "Bearer nope") == "invalid_token_format"
    assert await _code(auth, "Basic abc") == "invalid_token_format"
    assert store.calls == 0


async def test_concurrent_misses_share_one_lookup(db: Database, clock: Clock) -> None:
    slow = CountingStore(db)
    auth = Authenticator(slow, TTL, clock=clock)
    _, token_id, token = _agent(slow.hold())
    lookups = asyncio.gather(*(auth.authenticate(f"Bearer {token}") for _ in range(20)))
    await slow.started()  # all 20 ran up to the lookup in the loop's first pass
    slow.release()
    results = await lookups
    assert slow.calls == 1
    assert {r.token_id for r in results} == {token_id}


async def test_concurrent_rejections_share_one_lookup(db: Database, clock: Clock) -> None:
    slow = CountingStore(db).hold()
    auth = Authenticator(slow, TTL, clock=clock)
    unknown = f"Bearer {tokens.new_agent_token()}"
    lookups = asyncio.gather(
        *(auth.authenticate(unknown) for _ in range(20)), return_exceptions=True
    )
    await slow.started()
    slow.release()
    results = await lookups
    assert slow.calls == 1
    assert all(isinstance(r, GateError) and r.code == "invalid_api_key" for r in results)


async def test_a_cancelled_waiter_does_not_cancel_the_lookup(db: Database, clock: Clock) -> None:
    slow = CountingStore(db)
    auth = Authenticator(slow, TTL, clock=clock)
    _, token_id, token = _agent(slow.hold())
    leaving = asyncio.create_task(auth.authenticate(f"Bearer {token}"))
    staying = asyncio.create_task(auth.authenticate(f"Bearer {token}"))
    await slow.started()  # both are waiting on the one lookup, still held
    leaving.cancel()
    await asyncio.sleep(0)  # the cancellation lands while the lookup is in flight
    slow.release()
    assert (await staying).token_id == token_id
    assert slow.calls == 1
    with pytest.raises(asyncio.CancelledError):
        await leaving


async def test_cache_is_bounded(store: CountingStore, clock: Clock) -> None:
    auth = Authenticator(store, TTL, max_entries=2, clock=clock)
    first, second, third = (_agent(store)[2] for _ in range(3))
    for token in (first, second, third):
        await auth.authenticate(f"Bearer {token}")
    assert len(auth) == 2 and store.calls == 3
    await auth.authenticate(f"Bearer {third}")
    assert store.calls == 3  # still cached
    await auth.authenticate(f"Bearer {first}")
    assert store.calls == 4  # the oldest was evicted


async def test_clear_forgets_everything(auth: Authenticator, store: CountingStore) -> None:
    token = _agent(store)[2]
    await auth.authenticate(f"Bearer {token}")
    auth.clear()
    assert len(auth) == 0
    await auth.authenticate(f"Bearer {token}")
    assert store.calls == 2


async def test_client_credentials_are_cached_too(auth: Authenticator, store: CountingStore) -> None:
    brand, credential = store.create_brand("acme")
    for _ in range(3):
        principal = await auth.authenticate(f"Bearer {credential}")
    assert principal.kind == "client_credential" and principal.client_id == brand.client_id
    assert store.calls == 1


async def test_database_failures_are_not_cached(clock: Clock) -> None:
    down = Database("postgresql://nobody@127.0.0.1:1/none")
    store = CountingStore(down)
    auth = Authenticator(store, TTL, clock=clock)
    header = f"Bearer {tokens.new_agent_token()}"
    try:
        assert await _code(auth, header) == "service_unavailable"
        assert await _code(auth, header) == "service_unavailable"
    finally:
        down.dispose()
    assert store.calls == 2 and len(auth) == 0

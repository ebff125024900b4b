"""An alias chain changed through one replica is served by the other within 5 s, with no
restart and no periodic refresh (set to an hour here): two gateways (core, bridge and
mock each) on one PostgreSQL database (and Redis), told by LISTEN/NOTIFY; and on one
SQLite file with Redis pub/sub. A rollback travels the same way, and a listener whose
connection is cut reconnects and catches up."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import psycopg
import pytest
from cryptography.fernet import Fernet

from gate_service.catalog.changes import (
    CHANNEL,
    PostgresChanges,
    RedisChanges,
    postgres_conninfo,
)
from tests.db_backends import fresh_postgres_database
from tests.e2e.test_replicas import REDIS_URL, _require_redis
from tests.stack import Stack, make_settings

OPERATOR = "op-secret-for-replicas"
ALIAS = "spideriq/fast"
SEED_MODEL = "llama-3.1-8b-instant"
NEW = [{"provider": "mistral", "model": "mistral-small-latest"}]
WITHIN_S = 5.0
_counter = itertools.count()


def _pair(tmp: pytest.TempPathFactory, url: str, redis_url: str | None) -> tuple[Stack, Stack]:
    vault_keys = (Fernet.generate_key().decode(),)

    def replica(name: str) -> Stack:
        own = make_settings(Path(tmp.mktemp(name)), url)
        settings = dataclasses.replace(
            own,
            vault_keys=vault_keys,
            operator_token=OPERATOR,
            refresh_interval_s=3600.0,  # only the announcement can carry the change
            redis_url=redis_url,
        )
        return Stack(settings).start(demo=True)

    return replica("replica-a"), replica("replica-b")


@pytest.fixture(scope="module")
def on_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Stack]]:
    # As deployed: PostgreSQL plus Redis (shared limits and cache); the catalog's own
    # notifications still go through PostgreSQL, in the writing transaction.
    _require_redis()
    with fresh_postgres_database() as url:
        a, b = _pair(tmp_path_factory, url, REDIS_URL)
        yield a, b
        a.stop()
        b.stop()


@pytest.fixture(scope="module")
def on_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Stack]]:
    _require_redis()
    shared = tmp_path_factory.mktemp("shared-sqlite") / "gate.db"
    a, b = _pair(tmp_path_factory, f"sqlite:///{shared}", REDIS_URL)
    yield a, b
    a.stop()
    b.stop()


def _token(stack: Stack, brand: str) -> str:
    view, _ = stack.core.identity.create_brand(brand)
    _, token = stack.core.identity.mint_token(view.client_id, "agent", None)
    return str(token)


def _served(stack: Stack, token: str) -> str:
    client = openai.OpenAI(base_url=stack.base_url, api_key=token, max_retries=0)
    before = stack.mock.state.total
    client.chat.completions.create(
        model=ALIAS, messages=[{"role": "user", "content": f"hi {next(_counter)}"}]
    )
    return str([r for r in stack.mock.state.records if r.seq > before][-1].model)


def _served_within(stack: Stack, token: str, model: str) -> float:
    """Request the alias until ``model`` serves it; the seconds that took (fails past 5 s)."""
    started = time.monotonic()
    while (seen := _served(stack, token)) != model:
        assert time.monotonic() - started < WITHIN_S, f"still {seen} after {WITHIN_S} s"
    return time.monotonic() - started


def _admin(stack: Stack) -> httpx.Client:
    headers = {"Authorization": f"Bearer {OPERATOR}"}
    return httpx.Client(base_url=stack.base_url, headers=headers, timeout=60)


def _change_and_roll_back(a: Stack, b: Stack, brand: str) -> None:
    token = _token(a, brand)
    assert _served(b, token) == SEED_MODEL
    with _admin(a) as admin:
        changed = admin.put(f"/admin/aliases/{ALIAS}/chain", json={"chain": NEW})
    assert changed.status_code == 200, changed.text
    took = _served_within(b, token, NEW[0]["model"])
    print(f"{type(b.core.catalog_changes).__name__}: served by the other replica in {took:.3f} s")
    with _admin(b) as admin:  # b's listing shows a's change and its history
        shown = admin.get(f"/admin/aliases/{ALIAS}").json()
    assert shown["chain"] == NEW and [h["version"] for h in shown["history"]] == [2, 1]
    seed = shown["history"][-1]["id"]
    with _admin(a) as admin:
        back = admin.post(f"/admin/aliases/{ALIAS}/rollback", json={"history_id": seed})
    assert back.status_code == 200, back.text
    _served_within(b, token, SEED_MODEL)


def test_postgres_replicas_serve_a_change_and_its_rollback(
    on_postgres: tuple[Stack, Stack],
) -> None:
    a, b = on_postgres
    assert isinstance(b.core.catalog_changes, PostgresChanges)
    _change_and_roll_back(a, b, "pg-brand")


def test_a_listener_reconnects_and_catches_up(on_postgres: tuple[Stack, Stack]) -> None:
    a, b = on_postgres
    listener = b.core.catalog_changes
    assert isinstance(listener, PostgresChanges)
    connections = listener.connections
    token = _token(a, "reconnect-brand")
    # Cut every LISTEN connection on the database (both replicas'), and change the chain
    # at once: the announcement may be lost; the reconnect reloads.
    with psycopg.connect(postgres_conninfo(b.core.db), autocommit=True) as conn:
        cut = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query = %s",
            (f"LISTEN {CHANNEL}",),
        ).fetchall()
    assert len(cut) == 2
    with _admin(a) as admin:
        changed = admin.put(f"/admin/aliases/{ALIAS}/chain", json={"chain": NEW})
    assert changed.status_code == 200, changed.text
    _served_within(b, token, NEW[0]["model"])
    deadline = time.monotonic() + WITHIN_S
    while listener.connections == connections:
        assert time.monotonic() < deadline, "the listener did not reconnect"
        time.sleep(0.05)
    seed = changed.json()["history"][-1]["id"]
    with _admin(a) as admin:
        assert admin.post(f"/admin/aliases/{ALIAS}/rollback", json={"history_id": seed}).is_success
    _served_within(b, token, SEED_MODEL)


def test_redis_replicas_serve_a_change_and_its_rollback(on_redis: tuple[Stack, Stack]) -> None:
    a, b = on_redis
    assert isinstance(b.core.catalog_changes, RedisChanges)
    _change_and_roll_back(a, b, "redis-brand")

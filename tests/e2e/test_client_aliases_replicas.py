"""Client aliases across two replicas sharing PostgreSQL: a change made through one is
served by the other at its next periodic reload of keys and aliases (the core's
``refresh``, every ``refresh_interval_s``), and never before it comes from the database.

Two in-process gateways (each with its own mock provider; the brand's keys point at the
first one's) on one fresh PostgreSQL database and one vault master key. The test calls the
second replica's ``refresh`` itself instead of waiting for its 5 s tick.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

from gate_service.vault.cipher import generate_key
from tests.db_backends import fresh_postgres_database
from tests.stack import Stack, make_settings

MODEL = "llama-3.1-8b-instant"


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Stack]]:
    master = generate_key()
    with fresh_postgres_database() as database_url:
        stacks = []
        for name in ("replica-a", "replica-b"):
            settings = make_settings(Path(tmp_path_factory.mktemp(name)), database_url)
            settings = dataclasses.replace(settings, vault_keys=(master,))
            stacks.append(Stack(settings).start(demo=False))
        yield stacks[0], stacks[1]
        for stack in stacks:
            stack.stop()


def test_a_change_through_one_replica_is_served_by_the_other(
    replicas: tuple[Stack, Stack],
) -> None:
    a, b = replicas
    view, credential = a.core.identity.create_brand("replicated")
    _, agent = a.core.identity.mint_token(view.client_id, "agent", None)
    auth = {"Authorization": f"Bearer {credential}"}
    key = httpx.post(
        a.base_url + "/vault/keys",
        json={
            "provider": "groq",
            "secret": "gsk-replica-0001",
            "base_url": a.mock.url + "/groq/v1",
        },
        headers=auth,
    )
    assert key.status_code == 201, key.text
    slots = [{"key_id": key.json()["id"], "model": MODEL}]
    made = httpx.post(
        a.base_url + "/client-aliases", json={"name": "shared", "slots": slots}, headers=auth
    )
    assert made.status_code == 201, made.text
    model = made.json()["model"]
    hi: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
    on_a = OpenAI(base_url=a.base_url, api_key=str(agent), max_retries=0)
    on_b = OpenAI(base_url=b.base_url, api_key=str(agent), max_retries=0)
    assert on_a.chat.completions.create(model=model, messages=hi).choices  # at once on A
    b.run(b.core.refresh())  # B's periodic reload
    assert on_b.chat.completions.create(model=model, messages=hi).choices
    assert [r.key for r in a.mock.state.records] == ["gsk-replica-0001"] * 2
    assert b.mock.state.total == 0  # the key points at A's mock: B's was never called

    gone = httpx.delete(a.base_url + "/client-aliases/shared", headers=auth)
    assert gone.status_code == 204
    with pytest.raises(openai.NotFoundError):
        on_a.chat.completions.create(model=model, messages=hi)
    b.run(b.core.refresh())
    with pytest.raises(openai.NotFoundError):
        on_b.chat.completions.create(model=model, messages=hi)

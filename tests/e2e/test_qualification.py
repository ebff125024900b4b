"""Pre-dispatch qualification and the probe-backed catalogue, end to end: the official
``openai`` SDK against the bridge and core over sockets, the mock provider scripted to
answer empty at small budgets, to refuse tools, or not to know a model; the probe run as
the ``spidergate`` command in its own process against the gateway's database."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import openai
import pytest
from cryptography.fernet import Fernet

from spidergate.v1 import catalog_pb2, catalog_pb2_grpc
from tests.db_backends import fresh_postgres_database
from tests.stack import Stack, make_settings

CLI = [sys.executable, "-m", "gate_service.cli.main"]
X = "llama-3.1-8b-instant"  # groq's, first of spideriq/fast
NEXT = "llama3.1-8b"  # cerebras's, second of spideriq/fast
EMPTY_AT_16 = {"kind": "empty", "match": {"model": X, "max_tokens_at_most": 16}}
HI: list[Any] = [{"role": "user", "content": "hi"}]


def start(data_dir: Path) -> tuple[Stack, str]:
    stack = Stack(make_settings(data_dir)).start(demo=True)
    brand, _ = stack.core.identity.create_brand("qualify")
    _, token = stack.core.identity.mint_token(brand.client_id, "agent", None)
    return stack, str(token)


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, str]]:
    stack, token = start(tmp_path_factory.mktemp("qualify"))
    yield stack, token
    stack.stop()


@pytest.fixture
def stack(gate: tuple[Stack, str]) -> Iterator[Stack]:
    s = gate[0]
    s.run(_forget(s))
    s.mock.state.reset()
    yield s
    s.mock.state.reset()
    s.run(_forget(s))


async def _forget(stack: Stack) -> None:
    """What earlier tests taught routing, forgotten (in memory and in the table)."""
    stack.core.router.planner.empty_budgets.clear()
    with stack.core.db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM model_probe")


@pytest.fixture
def client(gate: tuple[Stack, str]) -> openai.OpenAI:
    return openai.OpenAI(base_url=gate[0].base_url, api_key=gate[1], max_retries=0)


def calls(stack: Stack, model: str) -> int:
    return len(stack.mock.state.requests(model=model))


def refusal(exc: openai.APIStatusError) -> dict[str, Any]:
    body = exc.response.json()
    assert body["error"]["code"] == "no_qualifying_model"
    assert exc.response.status_code == 422
    assert "retry-after" not in exc.response.headers
    result: dict[str, Any] = body["spidergate_error"]
    return result


def test_an_empty_answer_is_measured_then_its_model_skipped_at_that_budget(
    stack: Stack, client: openai.OpenAI
) -> None:
    stack.mock.state.add_fault(EMPTY_AT_16)
    # The first empty answer measures it; the client gets it as before (a 200).
    first = client.chat.completions.create(model="spideriq/fast", messages=HI, max_tokens=16)
    assert not first.choices[0].message.content
    assert first.choices[0].finish_reason == "length"
    assert (calls(stack, X), calls(stack, NEXT)) == (1, 0)

    # The same budget through the alias: X is dropped before dispatch, the next serves.
    second = client.chat.completions.create(model="spideriq/fast", messages=HI, max_tokens=16)
    assert second.choices[0].message.content
    assert (calls(stack, X), calls(stack, NEXT)) == (1, 1)
    # ...and so is a smaller one; a larger budget still goes to X.
    client.chat.completions.create(model="spideriq/fast", messages=HI, max_tokens=8)
    assert calls(stack, X) == 1

    # X as the only candidate: 422 naming the verdict, nothing sent upstream.
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        client.chat.completions.create(model=f"groq/{X}", messages=HI, max_tokens=16)
    assert refusal(caught.value) == {
        "requested_model": f"groq/{X}",
        "completion_budget": 16,
        "candidates": [{"provider": "groq", "model": X, "verdict": "known_empty_at_budget"}],
    }
    # A stream is refused the same way: a JSON 422, not an SSE frame.
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        client.chat.completions.create(model=f"groq/{X}", messages=HI, max_tokens=16, stream=True)
    assert caught.value.response.headers["content-type"].startswith("application/json")
    assert refusal(caught.value)["candidates"][0]["verdict"] == "known_empty_at_budget"
    assert calls(stack, X) == 1


def test_an_answer_that_fits_the_budget_forgets_the_measurement(
    stack: Stack, client: openai.OpenAI
) -> None:
    stack.mock.state.add_fault({**EMPTY_AT_16, "times": 1})
    client.chat.completions.create(model=f"groq/{X}", messages=HI, max_tokens=16)
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model=f"groq/{X}", messages=HI, max_tokens=16)
    # At a larger budget X answers in fewer than 16 tokens: it fits in 16 after all.
    larger = client.chat.completions.create(model=f"groq/{X}", messages=HI, max_tokens=64)
    assert larger.usage is not None and 0 < larger.usage.completion_tokens <= 16
    again = client.chat.completions.create(model=f"groq/{X}", messages=HI, max_tokens=16)
    assert again.choices[0].message.content
    assert calls(stack, X) == 3


def test_a_budget_above_the_tier_ceiling_is_refused_before_dispatch(
    stack: Stack, client: openai.OpenAI
) -> None:
    # groq/llama-3.3-70b-versatile: max_output_tokens 32768 in the catalog.
    model = "llama-3.3-70b-versatile"
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        client.chat.completions.create(model=f"groq/{model}", messages=HI, max_tokens=40_000)
    found = refusal(caught.value)
    assert found["completion_budget"] == 40_000
    assert found["candidates"] == [
        {"provider": "groq", "model": model, "verdict": "exceeds_tier_ceiling"}
    ]
    assert stack.mock.state.total == 0


def test_a_measurement_survives_a_restart(tmp_path: Path) -> None:
    stack, token = start(tmp_path)
    try:
        stack.mock.state.add_fault(EMPTY_AT_16)
        client = openai.OpenAI(base_url=stack.base_url, api_key=token, max_retries=0)
        client.chat.completions.create(model=f"groq/{X}", messages=HI, max_tokens=16)
    finally:
        stack.stop()
    stack = Stack(make_settings(tmp_path)).start(demo=True)
    try:
        client = openai.OpenAI(base_url=stack.base_url, api_key=token, max_retries=0)
        with pytest.raises(openai.UnprocessableEntityError) as caught:
            client.chat.completions.create(model=f"groq/{X}", messages=HI, max_tokens=16)
        assert refusal(caught.value)["candidates"][0]["verdict"] == "known_empty_at_budget"
        assert stack.mock.state.total == 0
    finally:
        stack.stop()


def test_the_probe_records_ok_no_tools_and_delisted(stack: Stack, client: openai.OpenAI) -> None:
    # Vault keys only are probed (the stack's demo keys are not in the vault).
    key = stack.core.key_store.add_key("groq", "gsk-probe-key", base_url=stack.mock.url + "/groq")
    try:
        no_tools, delisted, broken = (
            "llama-3.3-70b-versatile",
            "openai/gpt-oss-120b",
            "qwen/qwen3-32b",
        )
        refuse_tools = {"model": no_tools, "tools": True}
        for rule in (
            {"status": 400, "message": "tools not supported", "match": refuse_tools},
            {"status": 404, "match": {"model": delisted}},
            {"status": 500, "match": {"model": broken}},
        ):
            stack.mock.state.add_fault(rule)
        where = ("--data-dir", str(stack.settings.data_dir))
        run = subprocess.run(
            [*CLI, "catalog", "probe", "--provider", "groq", *where],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        statuses = {
            line.split()[0]: tuple(line.split()[1:3]) for line in run.stdout.splitlines()[1:]
        }
        assert statuses[f"groq/{X}"] == ("ok", "true")
        assert statuses[f"groq/{no_tools}"] == ("no_tools", "false")
        assert statuses[f"groq/{delisted}"] == ("delisted", "-")
        assert statuses[f"groq/{broken}"] == ("error", "-")
        assert "gsk-probe-key" not in run.stdout + run.stderr
        # Plainly, then with a tool (tool_choice required); a delisted model only plainly.
        sent = [r.body for r in stack.mock.state.requests(model=X)]
        assert [bool(b.get("tools")) for b in sent] == [False, True]
        assert len(stack.mock.state.requests(model=delisted)) == 1

        # A running gateway reads the verdicts on its next refresh: /models shows them.
        stack.run(stack.core.refresh())
        assert stack.core.probes.supports_tools(f"groq/{no_tools}") is False
        assert stack.core.probes.supports_tools(f"groq/{delisted}") is None
        info = {m.id: (m.model_extra or {})["spidergate_info"] for m in client.models.list()}
        assert (info[f"groq/{X}"]["supports_tools"], info[f"groq/{X}"]["last_probe_status"]) == (
            True,
            "ok",
        )
        assert info[f"groq/{no_tools}"]["supports_tools"] is False
        assert info[f"groq/{no_tools}"]["last_probe_status"] == "no_tools"
        assert info[f"groq/{delisted}"]["last_probe_status"] == "delisted"
        never = info["cerebras/llama3.1-8b"]
        assert (never["supports_tools"], never["last_probe_status"]) == (None, None)
        one = httpx.get(
            f"{stack.base_url}/models/groq/{no_tools}",
            headers={"Authorization": f"Bearer {client.api_key}"},
        ).json()["spidergate_info"]
        assert (one["supports_tools"], one["last_probe_status"]) == (False, "no_tools")
        # The same fields on the catalog gRPC Model message (unset when never probed).
        with grpc.insecure_channel(stack.grpc_target) as channel:
            stub = catalog_pb2_grpc.CatalogServiceStub(channel)
            probed = stub.GetModel(catalog_pb2.GetModelRequest(id=f"groq/{no_tools}")).model
            assert probed.HasField("supports_tools") and probed.supports_tools is False
            assert probed.last_probe_status == "no_tools" and probed.probed_at
            unprobed = stub.GetModel(catalog_pb2.GetModelRequest(id="cerebras/llama3.1-8b"))
            assert not unprobed.model.HasField("supports_tools")
            assert unprobed.model.last_probe_status == ""
    finally:
        stack.core.key_store.deactivate(key.id, key.client_id)
        stack.run(stack.core.refresh())


def test_replicas_on_postgresql_share_measurements_and_clearings(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Two gateways on one PostgreSQL database: what one measures, the other skips after
    its next refresh; a clearing learnt on the other reaches the first the same way."""
    vault_keys = (Fernet.generate_key().decode(),)

    def replica(name: str, url: str) -> Stack:
        own = make_settings(Path(tmp_path_factory.mktemp(name)), url)
        return Stack(dataclasses.replace(own, vault_keys=vault_keys)).start(demo=True)

    with fresh_postgres_database() as url:
        a = replica("qualify-a", url)
        b = replica("qualify-b", url)
        try:
            brand, _ = a.core.identity.create_brand("replicated")
            _, token = a.core.identity.mint_token(brand.client_id, "agent", None)
            on_a, on_b = (
                openai.OpenAI(base_url=s.base_url, api_key=str(token), max_retries=0)
                for s in (a, b)
            )
            a.mock.state.add_fault({**EMPTY_AT_16, "times": 1})
            on_a.chat.completions.create(model=f"groq/{X}", messages=HI, max_tokens=16)
            a.run(a.core.refresh())  # written on A's refresh...
            b.run(b.core.refresh())  # ...read on B's
            with pytest.raises(openai.UnprocessableEntityError) as caught:
                on_b.chat.completions.create(model=f"groq/{X}", messages=HI, max_tokens=16)
            assert refusal(caught.value)["candidates"][0]["verdict"] == "known_empty_at_budget"
            assert b.mock.state.total == 0

            # B learns X fits in 16 tokens after all (an answer at 64 that used fewer).
            on_b.chat.completions.create(model=f"groq/{X}", messages=HI, max_tokens=64)
            b.run(b.core.refresh())
            a.run(a.core.refresh())
            again = on_a.chat.completions.create(model=f"groq/{X}", messages=HI, max_tokens=16)
            assert again.choices[0].message.content
        finally:
            a.stop()
            b.stop()

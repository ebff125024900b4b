"""Platform alias administration through the REST bridge and gRPC, one gateway (the
embedded SQLite default, where a change applies in process): listing with history, the
dry-run probe (real upstream calls to the mock, nothing billed), the tool-alias rule
(422 ``rejected_slots``), replacing and rolling back a chain as served, and refusal of
anything but the operator token."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import openai
import pytest
from sqlalchemy import func
from sqlmodel import select

from gate_service.storage.models import RequestLog
from spidergate.v1 import alias_admin_pb2 as pb
from spidergate.v1 import alias_admin_pb2_grpc
from tests.e2e.test_openapi import _assert_conforms
from tests.stack import Stack, make_settings

OPERATOR = "op-secret-for-alias-admin"
TOOLS = "spideriq/tool-use"
NO_TOOLS = {"provider": "together", "model": "Qwen/Qwen2.5-Coder-32B-Instruct"}
_counter = itertools.count()


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = make_settings(Path(tmp_path_factory.mktemp("alias-admin")))
    stack = Stack(dataclasses.replace(settings, operator_token=OPERATOR)).start(demo=True)
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def agent(gate: Stack) -> str:
    view, _ = gate.core.identity.create_brand("alias-admin-brand")
    _, token = gate.core.identity.mint_token(view.client_id, "agent", None)
    return str(token)


def _admin(gate: Stack, token: str = OPERATOR) -> httpx.Client:
    return httpx.Client(
        base_url=gate.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )


def _served_model(gate: Stack, token: str, alias: str) -> str:
    """Ask for ``alias`` through the SDK; the model the mock received."""
    client = openai.OpenAI(base_url=gate.base_url, api_key=token, max_retries=0)
    before = gate.mock.state.total
    client.chat.completions.create(
        model=alias, messages=[{"role": "user", "content": f"hello {next(_counter)}"}]
    )
    seen = [r for r in gate.mock.state.records if r.seq > before]
    assert seen, "the mock saw no request"
    return str(seen[-1].model)


def _ledger_rows(gate: Stack) -> int:
    async def count() -> int:
        await gate.core.ledger.flush()
        with gate.core.db.session() as session:
            return int(session.exec(select(func.count()).select_from(RequestLog)).one())

    return gate.run(count())


def test_list_and_show_every_alias_with_its_chain(gate: Stack) -> None:
    with _admin(gate) as admin:
        listed = admin.get("/admin/aliases")
        assert listed.status_code == 200, listed.text
        ids = [a["id"] for a in listed.json()["data"]]
        assert TOOLS in ids and "agent/tool-use" in ids and "spideriq/fast" in ids
        shown = admin.get(f"/admin/aliases/{TOOLS}")
    assert shown.status_code == 200, shown.text
    alias = shown.json()
    assert alias["tool_alias"] is True and alias["requires"] == ["function_calling"]
    assert alias["chain"][0] == {"provider": "groq", "model": "llama-3.3-70b-versatile"}
    assert alias["object"] == "alias"


def test_unknown_alias_is_404(gate: Stack) -> None:
    with _admin(gate) as admin:
        missing = admin.get("/admin/aliases/spideriq/no-such-alias")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_validate_probes_each_slot_and_bills_nothing(gate: Stack) -> None:
    chain = [
        {"provider": "groq", "model": "llama-3.3-70b-versatile"},
        {"provider": "mistral", "model": "mistral-large-latest"},
    ]
    rows_before, mock_before = _ledger_rows(gate), gate.mock.state.total
    with _admin(gate) as admin:
        answer = admin.post(f"/admin/aliases/{TOOLS}/validate", json={"chain": chain})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["all_ok"] is True
    assert [(s["slot"], s["verdict"]) for s in body["slots"]] == [(0, "ok"), (1, "ok")]
    # One real upstream call per slot, with a tool offered (a tool alias) ...
    probes = [r for r in gate.mock.state.records if r.seq > mock_before]
    assert sorted(str(r.model) for r in probes) == sorted(s["model"] for s in chain)
    assert all(r.body.get("tools") and r.body.get("max_tokens") == 1 for r in probes)
    # ... and nothing recorded or billed, nothing changed.
    assert _ledger_rows(gate) == rows_before
    with _admin(gate) as admin:
        assert admin.get(f"/admin/aliases/{TOOLS}").json()["history"] == []


def test_validate_names_a_failing_slot(gate: Stack) -> None:
    rule = {"kind": "error", "status": 401, "match": {"model": "mistral-large-latest"}}
    httpx.post(gate.mock.url + "/__mock/faults", json=rule, timeout=10).raise_for_status()
    try:
        with _admin(gate) as admin:
            answer = admin.post(
                f"/admin/aliases/{TOOLS}/validate",
                json={"chain": [{"provider": "mistral", "model": "mistral-large-latest"}]},
            )
    finally:
        httpx.delete(gate.mock.url + "/__mock/faults", timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["all_ok"] is False
    assert answer.json()["slots"][0]["verdict"] == "auth_failed"


def test_a_model_that_cannot_call_tools_is_refused_in_a_tool_alias(gate: Stack) -> None:
    chain = [{"provider": "groq", "model": "llama-3.3-70b-versatile"}, NO_TOOLS]
    mock_before = gate.mock.state.total
    with _admin(gate) as admin:
        for answer in (
            admin.post(f"/admin/aliases/{TOOLS}/validate", json={"chain": chain}),
            admin.put(f"/admin/aliases/{TOOLS}/chain", json={"chain": chain}),
        ):
            assert answer.status_code == 422, answer.text
            body = answer.json()
            assert body["error"]["code"] == "chain_rejected"
            assert body["rejected_slots"] == [
                {
                    "slot": 1,
                    **NO_TOOLS,
                    "reason": "no_tools",
                    "message": body["rejected_slots"][0]["message"],
                }
            ]
    assert gate.mock.state.total == mock_before  # refused before any probe
    # The same model is fine where tools are not required.
    with _admin(gate) as admin:
        fine = admin.post("/admin/aliases/spideriq/fast/validate", json={"chain": [NO_TOOLS]})
    assert fine.status_code == 200, fine.text


def test_bad_bodies_are_400_naming_the_field(gate: Stack) -> None:
    with _admin(gate) as admin:
        empty = admin.put(f"/admin/aliases/{TOOLS}/chain", json={"chain": []})
        unknown = admin.put(f"/admin/aliases/{TOOLS}/chain", json={"chain": [], "x": 1})
        not_json = admin.put(f"/admin/aliases/{TOOLS}/chain", content=b"{")
        missing = admin.post(f"/admin/aliases/{TOOLS}/rollback", json={})
    assert (empty.status_code, empty.json()["error"]["param"]) == (400, "chain")
    assert (unknown.status_code, unknown.json()["error"]["param"]) == (400, "x")
    assert not_json.status_code == 400
    assert (missing.status_code, missing.json()["error"]["param"]) == (400, "history_id")


def test_replace_then_rollback_is_served_and_recorded(gate: Stack, agent: str) -> None:
    alias = "spideriq/fast"
    assert _served_model(gate, agent, alias) == "llama-3.1-8b-instant"
    new = [{"provider": "mistral", "model": "mistral-small-latest"}]
    with _admin(gate) as admin:
        changed = admin.put(
            f"/admin/aliases/{alias}/chain", json={"chain": new, "reason": "groq outage"}
        )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["chain"] == new and body["version"] == 2
    assert [(h["version"], h["actor"]) for h in body["history"]] == [(2, "operator"), (1, "seed")]
    assert body["history"][0]["reason"] == "groq outage"
    assert _served_model(gate, agent, alias) == "mistral-small-latest"

    seed = body["history"][1]
    with _admin(gate) as admin:
        back = admin.post(f"/admin/aliases/{alias}/rollback", json={"history_id": seed["id"]})
    assert back.status_code == 200, back.text
    assert back.json()["chain"] == seed["chain"] and back.json()["version"] == 3
    assert back.json()["history"][0]["reason"] == "rollback to version 1"
    assert _served_model(gate, agent, alias) == "llama-3.1-8b-instant"

    with _admin(gate) as admin:
        wrong = admin.post(f"/admin/aliases/{TOOLS}/rollback", json={"history_id": seed["id"]})
    assert wrong.status_code == 404  # a history row of another alias


@pytest.mark.parametrize(
    "call",
    [
        ("GET", "/admin/aliases", None),
        ("GET", f"/admin/aliases/{TOOLS}", None),
        ("POST", f"/admin/aliases/{TOOLS}/validate", {"chain": [NO_TOOLS]}),
        ("PUT", f"/admin/aliases/{TOOLS}/chain", {"chain": [NO_TOOLS]}),
        ("POST", f"/admin/aliases/{TOOLS}/rollback", {"history_id": 1}),
    ],
)
def test_only_the_operator_token(gate: Stack, agent: str, call: tuple[str, str, Any]) -> None:
    method, path, body = call
    with _admin(gate, agent) as as_agent:
        refused = as_agent.request(method, path, json=body)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "permission_denied"
    anonymous = httpx.request(method, gate.base_url + path, json=body, timeout=30)
    assert anonymous.status_code == 401


def test_grpc_surface(gate: Stack, agent: str) -> None:
    async def calls() -> tuple[pb.GetAdminAliasResponse, grpc.StatusCode]:
        async with grpc.aio.insecure_channel(gate.grpc_target) as channel:
            stub = alias_admin_pb2_grpc.AliasAdminServiceStub(channel)
            shown = await stub.GetAdminAlias(
                pb.GetAdminAliasRequest(alias_id=TOOLS),
                metadata=(("authorization", f"Bearer {OPERATOR}"),),
            )
            try:
                await stub.ListAdminAliases(
                    pb.ListAdminAliasesRequest(), metadata=(("authorization", f"Bearer {agent}"),)
                )
            except grpc.aio.AioRpcError as error:
                return shown, error.code()
            raise AssertionError("an agent token listed the aliases")

    shown, refused = gate.run(calls())
    assert shown.alias.tool_alias and shown.alias.chain[0].provider == "groq"
    assert refused is grpc.StatusCode.PERMISSION_DENIED


def test_answers_conform_to_the_openapi_document(gate: Stack) -> None:
    doc = httpx.get(f"http://127.0.0.1:{gate.http_port}/openapi.json", timeout=30).json()
    chain = [{"provider": "groq", "model": "llama-3.3-70b-versatile"}, NO_TOOLS]
    with _admin(gate) as admin:
        _assert_conforms(doc, "AdminAliasList", admin.get("/admin/aliases").json())
        _assert_conforms(doc, "AdminAlias", admin.get(f"/admin/aliases/{TOOLS}").json())
        validated = admin.post("/admin/aliases/spideriq/chat/validate", json={"chain": chain})
        _assert_conforms(doc, "AliasChainValidation", validated.json())
        refused = admin.put(f"/admin/aliases/{TOOLS}/chain", json={"chain": chain})
        assert refused.status_code == 422
        _assert_conforms(doc, "Error", refused.json())
    paths = doc["paths"]
    assert "/api/gate/v1/admin/aliases/{alias_id}/chain" in paths or any(
        p.endswith("/admin/aliases/{alias_id}/chain") for p in paths
    )

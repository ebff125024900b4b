"""Client alias management over the real stack: REST through the bridge (CRUD, PATCH
semantics, validation, who may manage), gRPC through the generated stubs, and the CLI
whose changes the running gateway serves after its reload.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import Any

import grpc
import httpx
import openai
import pytest

from gate_service.cli.main import main
from spidergate.v1 import client_aliases_pb2 as pb
from spidergate.v1 import client_aliases_pb2_grpc
from tests.e2e.client_alias_support import (
    MODEL,
    Brand,
    Log,
    astack,
    clean,
    error,
    new_brand,
)
from tests.e2e.grpc_api.support import bearer, rich_error
from tests.stack import Stack

__all__ = ["astack", "clean", "new_brand"]  # fixtures

# ------------------------------------------------------------------------------ REST CRUD


def test_crud_and_patch_semantics(astack: Stack, new_brand: Callable[[], Brand]) -> None:
    brand = new_brand()
    one, two = brand.key("gsk-crud-one-0001", label="one"), brand.key("gsk-crud-two-0002")
    created = brand.alias("crud", one, description="first try")
    assert created["model"] == brand.model("crud")
    assert (created["name"], created["enabled"], created["description"]) == (
        "crud",
        True,
        "first try",
    )
    assert created["slots"] == [
        {
            "key_id": one,
            "provider": "groq",
            "model": MODEL,
            "enabled": True,
            "key_label": "one",
            "cost_type": "free",
            "key_active": True,
        }
    ]
    # PATCH changes only what is sent.
    r = brand.api("PATCH", "/client-aliases/crud", json={"description": "second"})
    assert r.status_code == 200 and r.json()["slots"] == created["slots"]
    assert r.json()["description"] == "second"
    r = brand.api("PATCH", "/client-aliases/crud", json={"description": None})
    assert r.json()["description"] is None and r.json()["slots"] == created["slots"]
    # `slots` replaces the whole chain.
    chain = [{"key_id": two, "model": MODEL}, {"key_id": one, "model": f"groq/{MODEL}"}]
    r = brand.api("PATCH", "/client-aliases/crud", json={"slots": chain})
    assert [(s["key_id"], s["model"]) for s in r.json()["slots"]] == [(two, MODEL), (one, MODEL)]
    got = brand.api("GET", "/client-aliases/crud")
    assert got.json() == r.json()
    # Both prefixes serve the same routes.
    v1 = httpx.get(
        f"http://127.0.0.1:{astack.http_port}/v1/client-aliases",
        headers={"Authorization": f"Bearer {brand.credential}"},
    )
    assert [a["name"] for a in v1.json()["data"]] == ["crud"]
    # Deleted: 204, then 404 everywhere, and requests naming it are 404.
    deleted = brand.api("DELETE", "/client-aliases/crud")
    assert deleted.status_code == 204 and deleted.content == b""
    assert brand.api("GET", "/client-aliases/crud").status_code == 404
    assert brand.api("DELETE", "/client-aliases/crud").status_code == 404
    with pytest.raises(openai.NotFoundError):
        brand.openai().chat.completions.create(
            model=brand.model("crud"), messages=[{"role": "user", "content": "hi"}]
        )


def test_listing_pages_and_limits(astack: Stack, new_brand: Callable[[], Brand]) -> None:
    brand = new_brand()
    key = brand.key("gsk-list-0001")
    for name in ("b", "a", "c"):
        brand.alias(name, key)
    page = brand.api("GET", "/client-aliases", params={"limit": 2}).json()
    assert [a["name"] for a in page["data"]] == ["a", "b"] and page["has_more"] is True
    rest = brand.api("GET", "/client-aliases", params={"limit": 2, "offset": 2}).json()
    assert [a["name"] for a in rest["data"]] == ["c"] and rest["has_more"] is False
    for bad in ("0", "201", "x"):
        r = brand.api("GET", "/client-aliases", params={"limit": bad})
        assert r.status_code == 400 and error(r)["param"] == "limit", bad


def test_validation_errors(astack: Stack, new_brand: Callable[[], Brand]) -> None:
    brand, other = new_brand(), new_brand()
    mine = brand.key("gsk-valid-mine-0001")
    theirs = other.key("gsk-valid-theirs-0001")
    pool = astack.core.key_store.add_key("groq", "gsk-valid-pool-0001").id

    def create(body: dict[str, Any]) -> httpx.Response:
        return brand.api("POST", "/client-aliases", json=body)

    def slot(key_id: str = mine, **kw: Any) -> dict[str, Any]:
        return {"key_id": key_id, "model": MODEL, **kw}

    cases: list[tuple[dict[str, Any], int, str, str | None]] = [
        ({"name": "Bad Name", "slots": [slot()]}, 400, "invalid_request", "name"),
        ({"name": "x" * 65, "slots": [slot()]}, 400, "invalid_request", "name"),
        ({"name": "ok", "slots": [slot()] * 17}, 400, "invalid_request", "slots"),
        ({"name": "ok", "slots": []}, 400, "invalid_request", "slots"),
        ({"name": "ok"}, 400, "invalid_request", "slots"),
        (
            {"name": "ok", "slots": [slot()], "description": "d" * 501},
            400,
            "invalid_request",
            "description",
        ),
        ({"name": "ok", "slots": [{"model": MODEL}]}, 400, "invalid_request", "slots[0].key_id"),
        ({"name": "ok", "slots": [slot(extra=1)]}, 400, "invalid_request", "slots[0].extra"),
        (
            {"name": "ok", "slots": [slot(), slot(theirs)]},
            422,
            "invalid_alias_slot",
            "slots[1].key_id",
        ),
        ({"name": "ok", "slots": [slot("key_nope")]}, 422, "invalid_alias_slot", "slots[0].key_id"),
        ({"name": "ok", "slots": [slot(pool)]}, 422, "invalid_alias_slot", "slots[0].key_id"),
        (
            {"name": "ok", "slots": [slot(provider="openai")]},
            422,
            "invalid_alias_slot",
            "slots[0].provider",
        ),
        (
            {"name": "ok", "slots": [slot(model="no-such-model")]},
            422,
            "invalid_alias_slot",
            "slots[0].model",
        ),
    ]
    for body, status, code, param in cases:
        r = create(body)
        assert (r.status_code, error(r)["code"], error(r)["param"]) == (status, code, param), body
    foreign, unknown = (
        create({"name": "ok", "slots": [slot(theirs)]}),
        create({"name": "ok", "slots": [slot("key_nope")]}),
    )
    # Another brand's key reads exactly as an unknown one; a pool key is named as such.
    assert error(foreign)["message"].replace(theirs, "X") == error(unknown)["message"].replace(
        "key_nope", "X"
    )
    assert "pool key" in error(create({"name": "ok", "slots": [slot(pool)]}))["message"]
    # 16 slots is the most, and a name is unique in its brand (409), not across brands.
    assert create({"name": "ok", "slots": [slot()] * 16}).status_code == 201
    again = create({"name": "ok", "slots": [slot()]})
    assert again.status_code == 409 and error(again)["code"] == "alias_exists"
    assert other.api("POST", "/client-aliases", json={"name": "ok", "slots": [slot(theirs)]})
    # PATCH: the same checks; a rename is refused; nothing changed by a refused PATCH.
    for body, param in (
        ({"slots": [slot()] * 17}, "slots"),
        ({"slots": []}, "slots"),
        ({"name": "other"}, "name"),
        ({"enabled": "yes"}, "enabled"),
    ):
        r = brand.api("PATCH", "/client-aliases/ok", json=body)
        assert r.status_code == 400 and error(r)["param"] == param, body
    r = brand.api("PATCH", "/client-aliases/ok", json={"slots": [slot(pool)]})
    assert r.status_code == 422
    assert len(brand.api("GET", "/client-aliases/ok").json()["slots"]) == 16
    # Bad JSON is a 400 after authentication; no credential is a 401 first.
    r = brand.api("POST", "/client-aliases", content=b"{not json")
    assert r.status_code == 400
    assert httpx.post(astack.base_url + "/client-aliases", content=b"{").status_code == 401


def test_agent_tokens_may_use_but_not_manage(astack: Stack, new_brand: Callable[[], Brand]) -> None:
    brand = new_brand()
    brand.alias("mine", brand.key("gsk-agent-0001"))
    for method, path, body in (
        ("GET", "/client-aliases", None),
        ("POST", "/client-aliases", {"name": "x", "slots": []}),
        ("GET", "/client-aliases/mine", None),
        ("PATCH", "/client-aliases/mine", {"enabled": False}),
        ("DELETE", "/client-aliases/mine", None),
    ):
        r = brand.api(method, path, brand.agent, json=body)
        assert r.status_code == 403 and error(r)["code"] == "permission_denied", path
    assert (
        brand.openai()
        .chat.completions.create(
            model=brand.model("mine"), messages=[{"role": "user", "content": "hi"}]
        )
        .choices
    )


# ------------------------------------------------------------------------------ gRPC


def test_grpc_crud(astack: Stack, new_brand: Callable[[], Brand]) -> None:
    brand, other = new_brand(), new_brand()
    key = brand.key("gsk-grpc-0001", label="grpc")
    with grpc.insecure_channel(astack.grpc_target) as channel:
        stub = client_aliases_pb2_grpc.ClientAliasServiceStub(channel)
        md = bearer(brand.credential)
        created = stub.CreateClientAlias(
            pb.CreateClientAliasRequest(
                name="rpc", slots=[pb.AliasSlot(key_id=key, model=MODEL)], description="via grpc"
            ),
            metadata=md,
        ).alias
        assert created.model == brand.model("rpc") and created.slots[0].key_label == "grpc"
        assert created.slots[0].enabled and created.slots[0].key_active
        got = stub.GetClientAlias(pb.GetClientAliasRequest(name="rpc"), metadata=md).alias
        assert got == created
        listed = stub.ListClientAliases(pb.ListClientAliasesRequest(), metadata=md)
        assert [a.name for a in listed.aliases] == ["rpc"]
        updated = stub.UpdateClientAlias(
            pb.UpdateClientAliasRequest(name="rpc", clear_description=True, enabled=False),
            metadata=md,
        ).alias
        assert not updated.HasField("description") and not updated.enabled
        assert list(updated.slots) == list(created.slots)
        with pytest.raises(grpc.RpcError) as bad:
            stub.UpdateClientAlias(
                pb.UpdateClientAliasRequest(name="rpc", replace_slots=True), metadata=md
            )
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert rich_error(bad.value)[0].param == "slots"
        for token, status in (
            (other.credential, grpc.StatusCode.NOT_FOUND),
            (brand.agent, grpc.StatusCode.PERMISSION_DENIED),
        ):
            with pytest.raises(grpc.RpcError) as refused:
                stub.GetClientAlias(pb.GetClientAliasRequest(name="rpc"), metadata=bearer(token))
            assert refused.value.code() == status
        deleted = stub.DeleteClientAlias(pb.DeleteClientAliasRequest(name="rpc"), metadata=md)
        assert deleted.deleted and deleted.name == "rpc"
        with pytest.raises(grpc.RpcError) as gone:
            stub.GetClientAlias(pb.GetClientAliasRequest(name="rpc"), metadata=md)
        assert gone.value.code() == grpc.StatusCode.NOT_FOUND


# ------------------------------------------------------------------------------ CLI


def _cli(stack: Stack, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*argv, "--data-dir", str(stack.settings.data_dir)])
    return code, out.getvalue(), err.getvalue()


def test_cli_changes_reach_the_running_gateway(
    astack: Stack, new_brand: Callable[[], Brand]
) -> None:
    brand = new_brand()
    first, second = "gsk-cli-first-0001", "gsk-cli-second-0002"
    one, two = brand.key(first, label="cli-one"), brand.key(second)
    code, out, err = _cli(
        astack, "client-alias", "create", "cli", "--brand", brand.name, "--slot", f"{one}={MODEL}"
    )
    assert code == 0, err
    assert brand.model("cli") in out and "cli-one" in out
    astack.run(astack.core.refresh())  # what the 5 s refresh does
    log = Log(astack)
    assert (
        brand.openai()
        .chat.completions.create(
            model=brand.model("cli"), messages=[{"role": "user", "content": "hi"}]
        )
        .choices
    )
    code, _, err = _cli(
        astack, "client-alias", "update", "cli", "--brand", brand.name, "--slot", f"{two}={MODEL}"
    )
    assert code == 0, err
    astack.run(astack.core.refresh())
    assert (
        brand.openai()
        .chat.completions.create(
            model=brand.model("cli"), messages=[{"role": "user", "content": "hi"}]
        )
        .choices
    )
    assert log.keys() == [first, second]
    code, out, _ = _cli(astack, "client-alias", "list", "--brand", brand.name)
    assert code == 0 and two in out and one not in out
    code, _, err = _cli(
        astack, "client-alias", "create", "bad", "--brand", brand.name, "--slot", f"nope={MODEL}"
    )
    assert code == 1 and "no key 'nope'" in err
    code, out, _ = _cli(astack, "client-alias", "delete", "cli", "--brand", brand.name)
    assert code == 0 and f"deleted {brand.model('cli')}" in out
    astack.run(astack.core.refresh())
    with pytest.raises(openai.NotFoundError):
        brand.openai().chat.completions.create(
            model=brand.model("cli"), messages=[{"role": "user", "content": "hi"}]
        )

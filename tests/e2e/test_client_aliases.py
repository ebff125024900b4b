"""Client aliases over the real stack: REST through the bridge, gRPC through the generated
stubs, the CLI, and requests through the official openai SDK that the mock provider's
request log proves were served with the brand's own keys only, never the pool's.

Runs its own gateway (module scope, with the demo pool keys pointing at the mock for every
provider: a pool that *could* serve, so that not using it means something).
"""

from __future__ import annotations

import contextlib
import io
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import openai
import pytest
from anthropic import Anthropic
from openai import OpenAI

from gate_service.cli.main import main
from spidergate.v1 import client_aliases_pb2 as pb
from spidergate.v1 import client_aliases_pb2_grpc
from tests.e2e.grpc_api.support import bearer, rich_error
from tests.stack import Stack, make_settings

MODEL = "llama-3.1-8b-instant"  # a groq model the mock serves
_names = itertools.count()


class Brand:
    """A fresh brand: its id, client credential and an agent token."""

    def __init__(self, stack: Stack) -> None:
        view, credential = stack.core.identity.create_brand(f"alias-brand-{next(_names)}")
        _, agent = stack.core.identity.mint_token(view.client_id, "agent", None)
        self.name = view.name
        self.client_id = view.client_id
        self.credential = str(credential)
        self.agent = str(agent)
        self._stack = stack

    def api(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        url = f"{self._stack.base_url}{path}"
        auth = {"Authorization": f"Bearer {token or self.credential}"}
        return httpx.request(method, url, headers=auth, timeout=30, **kw)

    def key(self, secret: str, provider: str = "groq", **kw: Any) -> str:
        """A vault key of this brand pointing at the mock; its id."""
        body = {
            "provider": provider,
            "secret": secret,
            "base_url": f"{self._stack.mock.url}/{provider}/v1",
            **kw,
        }
        r = self.api("POST", "/vault/keys", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def alias(self, name: str, *key_ids: str, model: str = MODEL, **kw: Any) -> dict[str, Any]:
        slots = [{"key_id": k, "model": model} for k in key_ids]
        r = self.api("POST", "/client-aliases", json={"name": name, "slots": slots, **kw})
        assert r.status_code == 201, r.text
        return dict(r.json())

    def model(self, leaf: str) -> str:
        return f"client:{self.client_id}/{leaf}"

    def openai(self, token: str | None = None) -> OpenAI:
        return OpenAI(base_url=self._stack.base_url, api_key=token or self.agent, max_retries=0)


@pytest.fixture(scope="module")
def astack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = Stack(make_settings(Path(tmp_path_factory.mktemp("alias-gateway")))).start(demo=True)
    yield s
    s.stop()


@pytest.fixture
def new_brand(astack: Stack) -> Callable[[], Brand]:
    return lambda: Brand(astack)


@pytest.fixture(autouse=True)
def clean(astack: Stack) -> Iterator[None]:
    astack.core.router.health.clear()
    httpx.delete(astack.mock.url + "/__mock/faults").raise_for_status()
    yield
    httpx.delete(astack.mock.url + "/__mock/faults").raise_for_status()


def fault(stack: Stack, **rule: Any) -> None:
    httpx.post(stack.mock.url + "/__mock/faults", json=rule).raise_for_status()


class Log:
    """The mock's request log from now on: which key and which model it was called with."""

    def __init__(self, stack: Stack) -> None:
        self._state = stack.mock.state
        self._start = stack.mock.state.total

    def seen(self) -> list[tuple[str | None, str | None, str | None]]:
        count = self._state.total - self._start
        records = list(self._state.records)[-count:] if count else []
        return [(r.key, r.authorization, r.model) for r in records]

    def keys(self) -> list[str | None]:
        return [key for key, _, _ in self.seen()]


def error(r: httpx.Response) -> dict[str, Any]:
    return dict(r.json()["error"])


# ------------------------------------------------------------------------------ routing


def test_fails_over_between_the_brands_keys_and_never_touches_the_pool(
    astack: Stack, new_brand: Callable[[], Brand]
) -> None:
    brand = new_brand()
    first, second = "gsk-alias-first-0001", "gsk-alias-second-0002"
    brand.alias("pair", brand.key(first, label="first"), brand.key(second, label="second"))
    fault(astack, kind="error", status=500, match={"key": first})
    log = Log(astack)
    answer = brand.openai().chat.completions.create(
        model=brand.model("pair"), messages=[{"role": "user", "content": "hi"}]
    )
    assert answer.choices[0].message.content
    assert log.seen() == [
        (first, f"Bearer {first}", MODEL),
        (second, f"Bearer {second}", MODEL),
    ]
    # Both keys failing: the request fails; the pool's groq key (and every other model
    # and provider the pool could serve) is never called.
    fault(astack, kind="error", status=500, match={"key": second})
    log = Log(astack)
    with pytest.raises(openai.APIStatusError) as failed:
        brand.openai().chat.completions.create(
            model=brand.model("pair"), messages=[{"role": "user", "content": "hi"}]
        )
    assert failed.value.status_code == 502
    body = failed.value.response.json()
    assert body["error"]["code"] == "all_providers_failed"
    attempts = body["spidergate_error"]["attempts"]
    assert {(a["provider"], a["model"]) for a in attempts} == {("groq", MODEL)}
    assert set(log.keys()) == {first, second}
    assert all(model == MODEL for _, _, model in log.seen())


def test_streaming_through_a_client_alias(astack: Stack, new_brand: Callable[[], Brand]) -> None:
    brand = new_brand()
    first, second = "gsk-stream-first-0001", "gsk-stream-second-0002"
    brand.alias("streamed", brand.key(first), brand.key(second))
    fault(astack, kind="error", status=503, match={"key": first})
    log = Log(astack)
    stream = brand.openai().chat.completions.create(
        model=brand.model("streamed"),
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text
    assert log.keys() == [first, second]


def test_usable_as_a_fallback_model(astack: Stack, new_brand: Callable[[], Brand]) -> None:
    """The first choice (pool keys only: the brand has no cerebras key) fails; the
    fallback is the brand's client alias, served with its own key."""
    brand = new_brand()
    own = "gsk-fallback-own-0001"
    brand.alias("backup", brand.key(own))
    fault(astack, kind="error", status=500, match={"path": "/cerebras"})
    log = Log(astack)
    answer = brand.openai().chat.completions.create(
        model="cerebras/llama3.1-8b",
        messages=[{"role": "user", "content": "hi"}],
        extra_body={"spidergate_options": {"fallback_models": [brand.model("backup")]}},
    )
    assert answer.model == MODEL
    assert log.keys()[-1] == own
    assert log.keys().count(own) == 1


def test_another_brand_gets_404(astack: Stack, new_brand: Callable[[], Brand]) -> None:
    owner, other = new_brand(), new_brand()
    owner.alias("private", owner.key("gsk-private-0001"))
    assert (
        owner.openai()
        .chat.completions.create(
            model=owner.model("private"), messages=[{"role": "user", "content": "hi"}]
        )
        .choices
    )
    log = Log(astack)
    for token in (other.agent, other.credential):
        with pytest.raises(openai.NotFoundError) as missing:
            other.openai(token).chat.completions.create(
                model=owner.model("private"), messages=[{"role": "user", "content": "hi"}]
            )
        assert missing.value.response.json()["error"]["code"] == "model_not_found"
        # As a fallback too, and the same 404 as an alias that does not exist at all.
        with pytest.raises(openai.NotFoundError):
            other.openai(token).chat.completions.create(
                model=MODEL,
                messages=[{"role": "user", "content": "hi"}],
                extra_body={"spidergate_options": {"fallback_models": [owner.model("private")]}},
            )
    assert log.seen() == []
    # Its management routes answer exactly as for a name that does not exist.
    foreign = other.api("GET", "/client-aliases/private")
    missing_one = other.api("GET", "/client-aliases/nothing-here")
    assert foreign.status_code == missing_one.status_code == 404
    assert error(foreign)["code"] == error(missing_one)["code"] == "not_found"
    assert other.api("GET", "/client-aliases").json()["data"] == []


def test_refused_slots_have_verdicts_and_never_reach_the_pool(
    astack: Stack, new_brand: Callable[[], Brand]
) -> None:
    brand = new_brand()
    off_key, on_key = brand.key("gsk-verdict-one-0001"), brand.key("gsk-verdict-two-0002")
    slots = [
        {"key_id": off_key, "model": MODEL, "enabled": False},
        {"key_id": on_key, "model": MODEL},
    ]
    assert brand.api("POST", "/client-aliases", json={"name": "v", "slots": slots}).is_success
    assert brand.api("POST", f"/vault/keys/{on_key}/deactivate").is_success
    log = Log(astack)
    r = brand.api(
        "POST",
        "/chat/completions",
        brand.agent,
        json={"model": brand.model("v"), "messages": [{"role": "user", "content": "hi"}]},
    )
    assert r.status_code == 422 and error(r)["code"] == "no_qualifying_model"
    verdicts = [(c["key_id"], c["verdict"]) for c in r.json()["spidergate_error"]["candidates"]]
    assert verdicts == [(off_key, "slot is disabled"), (on_key, "key is inactive")]
    # Reactivated: served at once, with that key.
    assert brand.api("POST", f"/vault/keys/{on_key}/activate").is_success
    assert (
        brand.openai()
        .chat.completions.create(
            model=brand.model("v"), messages=[{"role": "user", "content": "hi"}]
        )
        .choices
    )
    # The whole alias switched off: every slot refused with that verdict.
    assert brand.api("PATCH", "/client-aliases/v", json={"enabled": False}).is_success
    r = brand.api(
        "POST",
        "/chat/completions",
        json={"model": brand.model("v"), "messages": [{"role": "user", "content": "hi"}]},
    )
    assert r.status_code == 422
    assert {c["verdict"] for c in r.json()["spidergate_error"]["candidates"]} == {
        "client alias is disabled"
    }
    assert log.keys() == ["gsk-verdict-two-0002"]


def test_every_endpoint_that_takes_a_model(astack: Stack, new_brand: Callable[[], Brand]) -> None:
    """Responses, Messages (the anthropic SDK) and embeddings plan through the same
    planner: the alias serves them too, with the brand's key."""
    brand = new_brand()
    chat_key = "gsk-surfaces-chat-0001"
    brand.alias("surfaces", brand.key(chat_key))
    log = Log(astack)
    client = brand.openai()
    answer = client.responses.create(model=brand.model("surfaces"), input="hi")
    assert answer.output_text
    root = f"http://127.0.0.1:{astack.http_port}"
    claude = Anthropic(base_url=root, auth_token=brand.agent, max_retries=0)
    message = claude.messages.create(
        model=brand.model("surfaces"),
        max_tokens=32,
        messages=[{"role": "user", "content": "hi"}],
    )
    assert message.content
    embed_key = "sk-surfaces-embed-0001"
    key_id = brand.key(embed_key, provider="openai", supports_embeddings=True)
    brand.alias("vectors", key_id, model="text-embedding-3-small")
    vectors = client.embeddings.create(model=brand.model("vectors"), input="hi")
    assert vectors.data[0].embedding
    assert log.keys() == [chat_key, chat_key, embed_key]


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

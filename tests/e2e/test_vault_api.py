"""The vault's admin API over the real stack: REST through the bridge and gRPC through the
generated stubs. Who may do what, connection tests against the mock provider, keys that
serve at once, the health summary, and secrets that never come back out.

Runs its own gateway (module scope) so it can set an operator token without touching the
shared one.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf.message import Message
from sqlalchemy import text

from bridge.app import create_app
from gate_service.providers.base import FailureKind, UpstreamFailure
from gate_service.servicers.inprocess import LocalCoreClient
from gate_service.vault import KeyPatch
from spidergate.v1 import vault_pb2, vault_pb2_grpc
from tests.db_backends import fresh_postgres_database
from tests.e2e.grpc_api.support import rich_error
from tests.stack import Stack, make_settings

OPERATOR = "op-token-for-the-vault-tests"
_names = itertools.count()

Brand = tuple[str, str]  # (client_id, client credential)


@pytest.fixture(scope="module")
def vstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = make_settings(Path(tmp_path_factory.mktemp("vault-gateway")))
    s = Stack(dataclasses.replace(settings, operator_token=OPERATOR)).start(demo=True)
    yield s
    s.stop()


@pytest.fixture
def new_brand(vstack: Stack) -> Callable[[], Brand]:
    """A fresh brand per call, so tests never see each other's keys."""

    def make() -> Brand:
        view, credential = vstack.core.identity.create_brand(f"vault-brand-{next(_names)}")
        return view.client_id, str(credential)

    return make


@pytest.fixture
def faults(vstack: Stack) -> Iterator[Callable[..., None]]:
    def add(**rule: Any) -> None:
        httpx.post(vstack.mock.url + "/__mock/faults", json=rule).raise_for_status()

    yield add
    httpx.delete(vstack.mock.url + "/__mock/faults").raise_for_status()


def api(
    stack: Stack, method: str, path: str, token: str | None, prefix: str = "/api/gate/v1", **kw: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"http://127.0.0.1:{stack.http_port}{prefix}{path}"
    return httpx.request(method, url, headers=headers, timeout=30, **kw)


def secret_for(name: str) -> str:
    return f"sk-{name}-RAW-SECRET-0123456789abcdef"


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


# ------------------------------------------------------------------------------ REST


def test_a_brand_manages_its_own_keys(vstack: Stack, new_brand: Callable[[], Brand]) -> None:
    _, credential = new_brand()
    secret = secret_for("crud")
    texts = []
    created = api(
        vstack,
        "POST",
        "/vault/keys",
        credential,
        json={"provider": "groq", "secret": secret, "label": "main", "rpm_limit": 30},
    )
    assert created.status_code == 201, created.text
    key = created.json()
    assert key["preview"] == "sk-c…def" and key["rpm_limit"] == 30 and key["priority"] == 100
    assert (key["pool"], key["active"], key["state"]) == (False, True, "healthy")
    key_id = key["id"]
    texts.append(created.text)

    listed = api(vstack, "GET", "/vault/keys", credential)
    assert [k["id"] for k in listed.json()["data"]] == [key_id]
    got = api(vstack, "GET", f"/vault/keys/{key_id}", credential, prefix="/v1")
    assert got.status_code == 200 and got.json()["label"] == "main"

    patched = api(
        vstack,
        "PATCH",
        f"/vault/keys/{key_id}",
        credential,
        json={"label": "backup", "priority": 5, "rpm_limit": None, "spend_limit_usd": 2},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["label"], body["priority"], body["rpm_limit"]) == ("backup", 5, None)
    assert body["spend_limit_usd"] == 2.0

    off = api(vstack, "POST", f"/vault/keys/{key_id}/deactivate", credential)
    assert (off.json()["active"], off.json()["state"]) == (False, "inactive")
    inactive = api(vstack, "GET", "/vault/keys?active=false", credential).json()["data"]
    assert [k["id"] for k in inactive] == [key_id]
    on = api(vstack, "POST", f"/vault/keys/{key_id}/activate", credential)
    assert on.json()["active"] is True
    texts += [listed.text, got.text, patched.text, off.text, on.text]

    deleted = api(vstack, "DELETE", f"/vault/keys/{key_id}", credential)
    assert deleted.json() == {"id": key_id, "object": "vault.key", "deleted": True}
    assert api(vstack, "GET", f"/vault/keys/{key_id}", credential).status_code == 404
    assert api(vstack, "GET", "/vault/keys", credential).json()["data"] == []
    assert all(secret not in t for t in texts)


def test_validation_errors_use_the_envelope(vstack: Stack, new_brand: Callable[[], Brand]) -> None:
    _, credential = new_brand()
    for body, param in [
        ({"provider": "groq", "secret": "s" * 20, "priority": -1}, "priority"),
        ({"provider": "groq", "secret": "s" * 20, "spend_period": "weekly"}, "spend_period"),
        ({"provider": "nosuch", "secret": "s" * 20}, "provider"),
        ({"provider": "groq"}, "secret"),
    ]:
        r = api(vstack, "POST", "/vault/keys", credential, json=body)
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert (error["type"], error["code"], error["param"]) == (
            "invalid_request_error",
            "invalid_request",
            param,
        )
    r = api(vstack, "POST", "/vault/keys", credential, content=b"{nope")
    assert r.status_code == 400 and error_code(r) == "invalid_request"
    r = api(vstack, "POST", "/vault/keys", OPERATOR, content=b"{nope")
    assert r.status_code == 400 and error_code(r) == "invalid_request"


def test_the_caller_is_refused_before_its_bad_body(
    vstack: Stack, new_brand: Callable[[], Brand]
) -> None:
    """A body the bridge cannot read is a 400 only for a caller the vault accepts: no
    token, a wrong one, or an agent token get their 401/403 first (as from the core)."""
    client_id, _ = new_brand()
    _, agent = vstack.core.identity.mint_token(client_id, "agent", None)
    for token, status, code in [
        (None, 401, "missing_api_key"),
        ("not-the-operator-token", 401, "invalid_token_format"),
        ("spideriq_pat_" + "0" * 32, 401, "invalid_api_key"),
        (str(agent), 403, "permission_denied"),
    ]:
        for method, path in [("POST", "/vault/keys"), ("PATCH", "/vault/keys/key_x")]:
            r = api(vstack, method, path, token, content=b"{nope")
            assert (r.status_code, error_code(r)) == (status, code), (token, r.text)


def test_agent_tokens_and_strangers_are_refused(
    vstack: Stack, new_brand: Callable[[], Brand]
) -> None:
    client_id, _ = new_brand()
    _, agent = vstack.core.identity.mint_token(client_id, "agent", None)
    for method, path in [("GET", "/vault/keys"), ("POST", "/vault/keys"), ("GET", "/vault/health")]:
        r = api(vstack, method, path, str(agent), json={"provider": "groq", "secret": "x" * 20})
        assert (r.status_code, error_code(r)) == (403, "permission_denied")
    r = api(vstack, "GET", "/vault/keys", None)
    assert (r.status_code, error_code(r)) == (401, "missing_api_key")
    assert r.headers["www-authenticate"] == "Bearer"
    r = api(vstack, "GET", "/vault/keys", "not-the-operator-token")
    assert r.status_code == 401


def test_another_brand_sees_nothing(vstack: Stack, new_brand: Callable[[], Brand]) -> None:
    _, owner = new_brand()
    _, stranger = new_brand()
    created = api(
        vstack, "POST", "/vault/keys", owner, json={"provider": "groq", "secret": secret_for("a")}
    )
    key_id = created.json()["id"]
    unknown = "key_0000000000000000"
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"label": "mine now"}),
        ("DELETE", "", None),
        ("POST", "/deactivate", None),
        ("POST", "/activate", None),
    ]:
        theirs = api(vstack, method, f"/vault/keys/{key_id}{suffix}", stranger, json=body)
        nothing = api(vstack, method, f"/vault/keys/{unknown}{suffix}", stranger, json=body)
        assert theirs.status_code == nothing.status_code == 404
        assert theirs.json() == nothing.json()
    for query in ("", "?include_pool=true"):
        listed = api(vstack, "GET", "/vault/keys" + query, stranger).json()["data"]
        assert key_id not in {k["id"] for k in listed}
    health = api(vstack, "GET", "/vault/health?include_pool=true", stranger).text
    assert key_id not in health
    still = api(vstack, "GET", f"/vault/keys/{key_id}", owner).json()
    assert (still["label"], still["active"]) == ("", True)


def test_the_operator_manages_pool_keys(vstack: Stack, new_brand: Callable[[], Brand]) -> None:
    _, credential = new_brand()
    brand_key = api(
        vstack, "POST", "/vault/keys", credential, json={"provider": "groq", "secret": "b" * 24}
    ).json()
    pool = api(
        vstack, "POST", "/vault/keys", OPERATOR, json={"provider": "mistral", "secret": "p" * 24}
    )
    assert pool.status_code == 201 and pool.json()["pool"] is True
    pool_id = pool.json()["id"]
    everything = {k["id"] for k in api(vstack, "GET", "/vault/keys", OPERATOR).json()["data"]}
    assert {pool_id, brand_key["id"]} <= everything
    assert api(vstack, "GET", f"/vault/keys/{brand_key['id']}", OPERATOR).status_code == 200
    # Writes: the operator's are pool keys, a brand's are its own.
    r = api(vstack, "PATCH", f"/vault/keys/{brand_key['id']}", OPERATOR, json={"label": "x"})
    assert r.status_code == 404
    r = api(vstack, "PATCH", f"/vault/keys/{pool_id}", credential, json={"label": "x"})
    assert r.status_code == 404
    r = api(vstack, "PATCH", f"/vault/keys/{pool_id}", OPERATOR, json={"priority": 1})
    assert r.status_code == 200 and r.json()["priority"] == 1
    visible = api(vstack, "GET", "/vault/keys?include_pool=true", credential).json()["data"]
    assert pool_id in {k["id"] for k in visible}
    assert api(vstack, "DELETE", f"/vault/keys/{pool_id}", OPERATOR).status_code == 200


def test_connection_test_against_the_provider(
    vstack: Stack, new_brand: Callable[[], Brand], faults: Callable[..., None]
) -> None:
    _, credential = new_brand()
    base_url = vstack.mock.url + "/groq/v1"
    good = secret_for("good")
    r = api(
        vstack,
        "POST",
        "/vault/keys",
        credential,
        json={"provider": "groq", "secret": good, "base_url": base_url, "test_connection": True},
    )
    assert r.status_code == 201, r.text
    assert vstack.mock.state.records[-1].key == good

    faults(kind="error", status=401, match={"key": "bad-key"})
    r = api(
        vstack,
        "POST",
        "/vault/keys",
        credential,
        json={
            "provider": "groq",
            "secret": "bad-key",
            "base_url": base_url,
            "test_connection": True,
        },
    )
    assert r.status_code == 400 and error_code(r) == "invalid_request"
    assert "test connection failed" in r.json()["error"]["message"]
    assert vstack.mock.state.records[-1].key == "bad-key"  # it really asked the provider
    listed = api(vstack, "GET", "/vault/keys", credential).json()["data"]
    assert len(listed) == 1  # nothing saved


def test_a_new_key_serves_at_once_and_secrets_stay_inside(
    vstack: Stack, new_brand: Callable[[], Brand]
) -> None:
    _, credential = new_brand()
    secret = secret_for("serve")
    created = api(
        vstack,
        "POST",
        "/vault/keys",
        credential,
        json={"provider": "cerebras", "secret": secret, "base_url": vstack.mock.url + "/own/v1"},
    )
    key_id = created.json()["id"]
    chat = api(
        vstack,
        "POST",
        "/chat/completions",
        credential,
        json={"model": "cerebras/llama3.1-8b", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert chat.status_code == 200, chat.text
    last = vstack.mock.state.records[-1]
    assert last.key == secret and last.prefix.startswith("/own")

    answers = [
        created.text,
        api(vstack, "GET", "/vault/keys", credential).text,
        api(vstack, "GET", f"/vault/keys/{key_id}", credential).text,
        api(vstack, "GET", "/vault/health", credential).text,
        api(vstack, "GET", "/vault/keys", OPERATOR).text,
    ]
    assert all(secret not in answer for answer in answers)
    with vstack.core.db.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT secret FROM provider_key WHERE id = :i"), {"i": key_id}
        ).scalar_one()
    assert stored.startswith("fernet:") and secret not in stored and secret[3:-3] not in stored


def test_health_summary_shows_cooldown(
    vstack: Stack, new_brand: Callable[[], Brand], faults: Callable[..., None]
) -> None:
    _, credential = new_brand()
    secret = secret_for("limited")
    created = api(
        vstack,
        "POST",
        "/vault/keys",
        credential,
        json={"provider": "groq", "secret": secret, "base_url": vstack.mock.url + "/groq/v1"},
    )
    key_id = created.json()["id"]
    faults(kind="error", status=429, headers={"Retry-After": "30"}, match={"key": secret})
    chat = api(
        vstack,
        "POST",
        "/chat/completions",
        credential,
        json={
            "model": "groq/llama-3.1-8b-instant",
            "messages": [{"role": "user", "content": "hi"}],
        },
    )
    assert chat.status_code == 200  # the pool's key took over
    summary = api(vstack, "GET", "/vault/health?provider=groq", credential)
    assert summary.status_code == 200, summary.text
    (groq,) = summary.json()["providers"]
    (key,) = groq["keys"]
    assert (key["key_id"], key["state"]) == (key_id, "cooldown")
    assert 0 < key["cooldown_seconds"] <= 30 and key["last_error"]
    assert groq["recommendation"] == "add keys: every key is rate-limited"
    assert secret not in summary.text
    listed = api(vstack, "GET", "/vault/keys?state=cooldown", credential).json()["data"]
    assert [k["id"] for k in listed] == [key_id]

    # A new secret gives the key a fresh start.
    api(vstack, "PATCH", f"/vault/keys/{key_id}", credential, json={"secret": secret + "2"})
    again = api(vstack, "GET", f"/vault/keys/{key_id}", credential).json()
    assert again["state"] == "healthy" and again["preview"].endswith("ef2")


def test_a_shared_key_serves_other_brands_but_stays_private(
    vstack: Stack, new_brand: Callable[[], Brand]
) -> None:
    _, owner = new_brand()
    _, other = new_brand()
    secret = secret_for("shared")
    created = api(
        vstack,
        "POST",
        "/vault/keys",
        owner,
        json={
            "provider": "sambanova",
            "secret": secret,
            "base_url": vstack.mock.url + "/shared/v1",
            "shared": True,
            "primary": True,
        },
    )
    assert created.status_code == 201 and created.json()["shared"] is True
    model = vstack.core.catalog.models
    sambanova = next(m for m in model if m.provider == "sambanova" and not m.has("embeddings"))
    chat = api(
        vstack,
        "POST",
        "/chat/completions",
        other,
        json={"model": sambanova.id, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert chat.status_code == 200, chat.text
    assert vstack.mock.state.records[-1].key == secret
    listed = api(vstack, "GET", "/vault/keys?include_pool=true", other).json()["data"]
    assert created.json()["id"] not in {k["id"] for k in listed}


# ------------------------------------------------------------------------------ gRPC


@pytest.fixture
def vault_stub(vstack: Stack) -> Iterator[vault_pb2_grpc.VaultServiceStub]:
    with grpc.insecure_channel(vstack.grpc_target) as channel:
        yield vault_pb2_grpc.VaultServiceStub(channel)


def _md(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def test_grpc_stubs(
    vstack: Stack, new_brand: Callable[[], Brand], vault_stub: vault_pb2_grpc.VaultServiceStub
) -> None:
    client_id, credential = new_brand()
    _, stranger = new_brand()
    secret = secret_for("grpc")
    md = _md(credential)
    created = vault_stub.CreateKey(
        vault_pb2.CreateKeyRequest(
            provider="groq",
            secret=secret,
            rpd_limit=1000,
            spend_period=vault_pb2.SPEND_PERIOD_DAILY,
            spend_action=vault_pb2.SPEND_ACTION_BLOCK,
            spend_limit_usd=5,
        ),
        metadata=md,
    ).key
    assert created.client_id == client_id and created.HasField("rpd_limit")
    assert not created.HasField("rpm_limit") and secret not in str(created)
    assert created.spend_action == vault_pb2.SPEND_ACTION_BLOCK

    listed = vault_stub.ListKeys(vault_pb2.ListKeysRequest(), metadata=md).keys
    assert [k.id for k in listed] == [created.id]
    updated = vault_stub.UpdateKey(
        vault_pb2.UpdateKeyRequest(key_id=created.id, primary=True, rpd_limit=0), metadata=md
    ).key
    assert updated.primary and not updated.HasField("rpd_limit")
    off = vault_stub.DeactivateKey(vault_pb2.DeactivateKeyRequest(key_id=created.id), metadata=md)
    assert off.key.state == vault_pb2.KEY_STATE_INACTIVE
    on = vault_stub.ActivateKey(vault_pb2.ActivateKeyRequest(key_id=created.id), metadata=md)
    assert on.key.active
    summary = vault_stub.GetHealthSummary(vault_pb2.GetHealthSummaryRequest(), metadata=md)
    assert [p.provider for p in summary.providers] == ["groq"]
    assert summary.providers[0].recommendation == "ok"

    with pytest.raises(grpc.RpcError) as caught:
        vault_stub.GetKey(vault_pb2.GetKeyRequest(key_id=created.id), metadata=_md(stranger))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    _, agent = vstack.core.identity.mint_token(client_id, "agent", None)
    with pytest.raises(grpc.RpcError) as caught:
        vault_stub.ListKeys(vault_pb2.ListKeysRequest(), metadata=_md(str(agent)))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED

    deleted = vault_stub.DeleteKey(vault_pb2.DeleteKeyRequest(key_id=created.id), metadata=md)
    assert deleted.deleted and deleted.key_id == created.id
    assert list(vault_stub.ListKeys(vault_pb2.ListKeysRequest(), metadata=md).keys) == []


def test_the_in_process_bridge_serves_the_vault_too(
    vstack: Stack, new_brand: Callable[[], Brand]
) -> None:
    """``spidergate serve`` runs the bridge on the core's own loop with no gRPC hop."""
    _, credential = new_brand()
    headers = {"Authorization": f"Bearer {credential}"}

    async def go() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        app = create_app(client_factory=lambda: LocalCoreClient(vstack.core))
        app.state.core = LocalCoreClient(vstack.core)  # ASGITransport runs no lifespan
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            created = await client.post(
                "/v1/vault/keys", json={"provider": "groq", "secret": "i" * 24}, headers=headers
            )
            missing = await client.get("/v1/vault/keys/key_0000000000000000", headers=headers)
            health = await client.get("/v1/vault/health", headers=headers)
        return created, missing, health

    created, missing, health = vstack.run(go())
    assert created.status_code == 201, created.text
    assert (missing.status_code, error_code(missing)) == (404, "not_found")
    assert health.json()["providers"][0]["keys"][0]["key_id"] == created.json()["id"]


def test_edits_made_elsewhere_reset_health_on_refresh(
    vstack: Stack, new_brand: Callable[[], Brand]
) -> None:
    """The CLI or another replica edits the database; the periodic refresh notices."""
    client_id, credential = new_brand()
    key_id = api(
        vstack, "POST", "/vault/keys", credential, json={"provider": "groq", "secret": "e" * 24}
    ).json()["id"]
    book = vstack.core.router.health
    book.failed(key_id, UpstreamFailure(FailureKind.AUTH, 401, "no"), "groq", "m")
    vstack.run(vstack.core.refresh())
    assert api(vstack, "GET", f"/vault/keys/{key_id}", credential).json()["state"] == "invalid"
    vstack.core.key_store.update_key(key_id, client_id, KeyPatch(secret="f" * 24))
    vstack.run(vstack.core.refresh())
    assert api(vstack, "GET", f"/vault/keys/{key_id}", credential).json()["state"] == "healthy"


# ------------------------------------------------------------------ addresses and input

METADATA = "http://169.254.169.254/"


def test_a_brand_key_may_not_point_inside(
    vstack: Stack, new_brand: Callable[[], Brand], vault_stub: vault_pb2_grpc.VaultServiceStub
) -> None:
    """Base URLs reaching the metadata service, private networks or loopback are refused
    when saved (this stack allows 127.0.0.0/8 only, for the mock); pool keys are the
    operator's and are not restricted."""
    _, credential = new_brand()
    refused = {
        METADATA: "169.254.169.254 is a link-local address",
        "http://10.0.0.5:8000/v1": "10.0.0.5 is a private address",
        "http://[::1]:8000/v1": "::1 is a loopback address",
        "https://[::ffff:169.254.169.254]/v1": "reaching 169.254.169.254",
        # A legacy numeric spelling, resolved the way the socket library reads it.
        "http://0xa9fea9fe/v1": "'0xa9fea9fe' resolves to 169.254.169.254",
    }
    for url, reason in refused.items():
        body = {"provider": "groq", "secret": "g" * 24, "base_url": url}
        r = api(vstack, "POST", "/vault/keys", credential, json=body)
        assert r.status_code == 400, (url, r.text)
        error = r.json()["error"]
        assert (error["code"], error["param"]) == ("invalid_request", "base_url")
        assert reason in error["message"], error["message"]

    key = api(
        vstack, "POST", "/vault/keys", credential, json={"provider": "groq", "secret": "g" * 24}
    ).json()
    r = api(vstack, "PATCH", f"/vault/keys/{key['id']}", credential, json={"base_url": METADATA})
    assert (r.status_code, r.json()["error"]["param"]) == (400, "base_url"), r.text
    assert api(vstack, "GET", f"/vault/keys/{key['id']}", credential).json()["base_url"] is None

    md = _md(credential)
    calls: list[tuple[Callable[..., object], Message]] = [
        (
            vault_stub.CreateKey,
            vault_pb2.CreateKeyRequest(provider="groq", secret="g" * 24, base_url=METADATA),
        ),
        (vault_stub.UpdateKey, vault_pb2.UpdateKeyRequest(key_id=key["id"], base_url=METADATA)),
    ]
    for call, request in calls:
        with pytest.raises(grpc.RpcError) as caught:
            call(request, metadata=md)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert rich_error(caught.value)[0].param == "base_url"

    pool = api(
        vstack,
        "POST",
        "/vault/keys",
        OPERATOR,
        json={"provider": "vllm", "secret": "", "base_url": "http://10.0.0.5:8000/v1"},
    )
    assert pool.status_code == 201, pool.text
    assert api(vstack, "DELETE", f"/vault/keys/{pool.json()['id']}", OPERATOR).status_code == 200


@pytest.fixture(scope="module")
def pg_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The same gateway on PostgreSQL, which refuses a NUL in any text value."""
    with fresh_postgres_database() as url:
        settings = make_settings(Path(tmp_path_factory.mktemp("vault-pg")), database_url=url)
        s = Stack(dataclasses.replace(settings, operator_token=OPERATOR)).start(demo=False)
        try:
            yield s
        finally:
            s.stop()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_control_characters_are_400s_on_both_backends(
    backend: str, request: pytest.FixtureRequest
) -> None:
    stack: Stack = request.getfixturevalue("vstack" if backend == "sqlite" else "pg_stack")
    _, credential = stack.core.identity.create_brand(f"nul-{backend}-{next(_names)}")
    good = {"provider": "groq", "secret": "n" * 24, "label": "fine"}
    for field, value in [
        ("label", "a\x00b"),
        ("label", "line\nforged"),
        ("provider", "gr\x00oq"),
        ("secret", "n" * 12 + "\x00" + "n" * 12),
        ("base_url", "https://api.example.com/\x00v1"),
    ]:
        r = api(stack, "POST", "/vault/keys", credential, json={**good, field: value})
        assert r.status_code == 400, (field, r.text)
        assert r.json()["error"]["param"] == field, r.text
    key = api(stack, "POST", "/vault/keys", credential, json=good).json()
    r = api(stack, "PATCH", f"/vault/keys/{key['id']}", credential, json={"label": "x\x00"})
    assert (r.status_code, r.json()["error"]["param"]) == (400, "label")
    assert api(stack, "GET", f"/vault/keys/{key['id']}", credential).json()["label"] == "fine"
    r = api(stack, "GET", "/vault/keys/key_%00", credential)
    assert (r.status_code, error_code(r)) == (404, "not_found")
    r = api(stack, "GET", "/vault/keys?provider=gr%00oq", credential)
    assert (r.status_code, r.json()["error"]["param"]) == (400, "provider")

"""Saved prompts' API over the real stack: REST through the bridge (which calls the core
over gRPC) and the core's ``PromptService`` through the generated stubs. CRUD, versions,
search, who may do what, another brand's prompt answering 404, and bad input answered
400 naming the field."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import httpx
import pytest

from gate_service.auth.principal import TokenControls
from spidergate.v1 import prompts_pb2, prompts_pb2_grpc
from tests.e2e.grpc_api.support import bearer, rich_error
from tests.stack import Stack

_names = itertools.count()
Brand = tuple[str, str, str]  # (client_id, client credential, agent token)


@pytest.fixture
def new_brand(stack: Stack) -> Callable[[], Brand]:
    """A fresh brand per call (its credential and an agent token), so tests never see
    each other's prompts."""

    def make() -> Brand:
        view, credential = stack.core.identity.create_brand(f"prompt-brand-{next(_names)}")
        _, agent = stack.core.identity.mint_token(view.client_id, "agent", None)
        return view.client_id, str(credential), str(agent)

    return make


@pytest.fixture
def api(stack: Stack) -> Iterator[Callable[..., httpx.Response]]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:

        def call(method: str, path: str, token: str | None, **kw: Any) -> httpx.Response:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return client.request(method, path, headers=headers, **kw)

        yield call


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    return error


PROMPT = {
    "name": "triage",
    "description": "Sort support tickets",
    "system_prompt": "You triage tickets for {{company}}. Answer in {{ language }}.",
    "model": "spideriq/fast",
    "settings": {"temperature": 0.2, "max_tokens": 300, "stop": ["END"], "seed": 7},
}


def test_create_read_update_versions_and_delete(
    api: Callable[..., httpx.Response], new_brand: Callable[[], Brand]
) -> None:
    _, cred, agent = new_brand()
    created = api("POST", "/prompts", cred, json=PROMPT)
    assert created.status_code == 201, created.text
    p = created.json()
    assert p["id"].startswith("prm_") and p["object"] == "prompt"
    assert p["project_id"] == "default" and p["version"] == 1
    assert p["variables"] == ["company", "language"]  # derived, in order of appearance
    assert p["settings"] == {
        "temperature": 0.2,
        "top_p": None,
        "max_tokens": 300,
        "presence_penalty": None,
        "frequency_penalty": None,
        "stop": ["END"],
        "seed": 7,
    }
    assert p["last_used"] is None and p["created"] > 0

    # An agent token reads it (gate:chat) but may not change it.
    got = api("GET", f"/prompts/{p['id']}", agent)
    assert got.status_code == 200 and got.json() == p
    _error(
        api("PATCH", f"/prompts/{p['id']}", agent, json={"description": "x"}),
        403,
        "permission_denied",
    )
    _error(api("DELETE", f"/prompts/{p['id']}", agent), 403, "permission_denied")
    _error(api("POST", "/prompts", agent, json={"name": "mine"}), 403, "permission_denied")

    # An update is a new version; settings replace the old ones whole; null model clears.
    patched = api(
        "PATCH",
        f"/prompts/{p['id']}",
        cred,
        json={"system_prompt": "Be terse with {{who}}.", "settings": {"top_p": 0.5}, "model": None},
    )
    assert patched.status_code == 200, patched.text
    v2 = patched.json()
    assert v2["version"] == 2 and v2["variables"] == ["who"] and v2["model"] is None
    assert v2["settings"]["top_p"] == 0.5 and v2["settings"]["temperature"] is None
    assert v2["name"] == "triage" and v2["description"] == "Sort support tickets"

    # Version 1 is still readable as it was.
    v1 = api("GET", f"/prompts/{p['id']}", cred, params={"version": 1}).json()
    assert v1["version"] == 1 and v1["system_prompt"] == PROMPT["system_prompt"]
    assert v1["model"] == "spideriq/fast" and v1["settings"]["temperature"] == 0.2
    assert api("GET", f"/prompts/{p['id']}", cred, params={"version": 2}).json() == v2
    missing = _error(
        api("GET", f"/prompts/{p['id']}", cred, params={"version": 9}), 404, "not_found"
    )
    assert missing["param"] == "version"

    deleted = api("DELETE", f"/prompts/{p['id']}", cred)
    assert deleted.status_code == 204 and deleted.content == b""
    assert deleted.headers["x-request-id"]
    _error(api("GET", f"/prompts/{p['id']}", cred), 404, "not_found")
    _error(api("GET", f"/prompts/{p['id']}", cred, params={"version": 1}), 404, "not_found")
    _error(api("DELETE", f"/prompts/{p['id']}", cred), 404, "not_found")


def test_another_brands_prompt_is_not_found(
    api: Callable[..., httpx.Response], new_brand: Callable[[], Brand]
) -> None:
    _, cred, _ = new_brand()
    _, other_cred, other_agent = new_brand()
    p = api("POST", "/prompts", cred, json={"name": "secret-sauce", "system_prompt": "x"}).json()
    for token in (other_cred, other_agent):
        unknown = api("GET", "/prompts/prm_000000000000000000000000", token).json()
        theirs = api("GET", f"/prompts/{p['id']}", token).json()
        assert theirs["error"]["code"] == unknown["error"]["code"] == "not_found"
    _error(api("PATCH", f"/prompts/{p['id']}", other_cred, json={"name": "mine"}), 404, "not_found")
    _error(api("DELETE", f"/prompts/{p['id']}", other_cred), 404, "not_found")
    assert api("GET", "/prompts", other_cred).json()["data"] == []
    assert api("GET", "/prompts/search", other_cred, params={"q": "sauce"}).json()["data"] == []
    # Unharmed for its owner.
    assert api("GET", f"/prompts/{p['id']}", cred).json()["version"] == 1


def test_list_pages_projects_and_search(
    api: Callable[..., httpx.Response], new_brand: Callable[[], Brand]
) -> None:
    _, cred, agent = new_brand()
    made = []
    for i, (project, name, text) in enumerate(
        [
            (None, "alpha", "Write haiku about the SEA."),
            ("sales", "alpha", "Qualify leads."),
            ("sales", "beta", "Summarise calls 100% faithfully."),
            ("support", "gamma", "Answer politely."),
        ]
    ):
        body: dict[str, Any] = {"name": name, "system_prompt": text, "description": f"n{i}"}
        if project:
            body["project_id"] = project
        response = api("POST", "/prompts", cred, json=body)
        assert response.status_code == 201, response.text
        made.append(response.json())
    # The same name in another project is fine; twice in one project is not.
    dup = _error(
        api("POST", "/prompts", cred, json={"name": "beta", "project_id": "sales"}),
        400,
        "invalid_request",
    )
    assert dup["param"] == "name" and "already exists" in dup["message"]

    everything = api("GET", "/prompts", agent).json()
    assert everything["object"] == "list" and not everything["has_more"]
    assert [p["id"] for p in everything["data"]] == [p["id"] for p in reversed(made)]
    page = api("GET", "/prompts", agent, params={"limit": 2, "offset": 1}).json()
    assert [p["id"] for p in page["data"]] == [made[2]["id"], made[1]["id"]] and page["has_more"]
    sales = api("GET", "/prompts", agent, params={"project_id": "sales"}).json()["data"]
    assert {p["name"] for p in sales} == {"alpha", "beta"}

    def found(q: str, **params: Any) -> list[str]:
        response = api("GET", "/prompts/search", agent, params={"q": q, **params})
        assert response.status_code == 200, response.text
        return sorted(p["name"] + "@" + p["project_id"] for p in response.json()["data"])

    assert found("sea") == ["alpha@default"]  # system prompt text, any case
    assert found("ALPHA") == ["alpha@default", "alpha@sales"]  # the name
    assert found("n3") == ["gamma@support"]  # the description
    assert found("100%") == ["beta@sales"]  # a LIKE wildcard is searched for literally
    assert found("%") == ["beta@sales"]
    assert found("alpha", project_id="sales") == ["alpha@sales"]
    assert found("nothing-like-it") == []
    _error(api("GET", "/prompts/search", agent), 400, "invalid_request")


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "name"),
        ({"name": "has space"}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": "ok", "project_id": "no/slash"}, "project_id"),
        ({"name": "ok", "surprise": 1}, "surprise"),
        ({"name": "ok", "system_prompt": 5}, "system_prompt"),
        ({"name": "ok", "system_prompt": "a\u0000b"}, "system_prompt"),
        ({"name": "ok", "description": "d" * 1001}, "description"),
        ({"name": "ok", "settings": {"temperature": 3}}, "settings.temperature"),
        ({"name": "ok", "settings": {"top_p": -1}}, "settings.top_p"),
        ({"name": "ok", "settings": {"max_tokens": 0}}, "settings.max_tokens"),
        ({"name": "ok", "settings": {"stop": ["a", "b", "c", "d", "e"]}}, "settings.stop"),
        ({"name": "ok", "settings": {"logit_bias": {}}}, "settings.logit_bias"),
        ({"name": "ok", "settings": "hot"}, "settings"),
        ({"name": "ok", "variables": ["bad-name"]}, "variables[0]"),
        ({"name": "ok", "system_prompt": "Hi {{who}}", "variables": ["other"]}, "variables"),
    ],
)
def test_bad_prompts_are_refused_naming_the_field(
    api: Callable[..., httpx.Response],
    new_brand: Callable[[], Brand],
    body: dict[str, Any],
    param: str,
) -> None:
    _, cred, _ = new_brand()
    error = _error(api("POST", "/prompts", cred, json=body), 400, "invalid_request")
    assert error["param"] == param, error


def test_bad_updates_and_queries(
    api: Callable[..., httpx.Response], new_brand: Callable[[], Brand]
) -> None:
    _, cred, _ = new_brand()
    p = api("POST", "/prompts", cred, json={"name": "one", "system_prompt": "Hi {{who}}"}).json()
    api("POST", "/prompts", cred, json={"name": "two"})
    path = f"/prompts/{p['id']}"
    assert _error(api("PATCH", path, cred, json={}), 400, "invalid_request")
    assert (
        _error(api("PATCH", path, cred, json={"name": "two"}), 400, "invalid_request")["param"]
        == "name"
    )
    assert (
        _error(api("PATCH", path, cred, json={"project_id": "x"}), 400, "invalid_request")["param"]
        == "project_id"
    )
    assert (
        _error(api("PATCH", path, cred, json={"variables": ["nope"]}), 400, "invalid_request")[
            "param"
        ]
        == "variables"
    )
    assert _error(api("PATCH", path, cred, content=b"{not json"), 400, "invalid_request")
    assert api("GET", path, cred).json()["version"] == 1  # nothing above made a version
    for params, param in (
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": -1}, "offset"),
    ):
        error = _error(api("GET", "/prompts", cred, params=params), 400, "invalid_request")
        assert error["param"] == param
    assert (
        _error(api("GET", path, cred, params={"version": "x"}), 400, "invalid_request")["param"]
        == "version"
    )
    # Without a credential: 401 before anything is read.
    _error(api("POST", "/prompts", None, content=b"{not json"), 401, "missing_api_key")
    _error(api("GET", "/prompts", None, params={"limit": 0}), 401, "missing_api_key")


def test_grpc_prompt_service(stack: Stack, new_brand: Callable[[], Brand]) -> None:
    _, cred, agent = new_brand()
    with grpc.insecure_channel(stack.grpc_target) as channel:
        stub = prompts_pb2_grpc.PromptServiceStub(channel)
        created = stub.CreatePrompt(
            prompts_pb2.CreatePromptRequest(
                name="grpc-made",
                project_id="ops",
                system_prompt="Speak as {{role}}.",
                settings=prompts_pb2.PromptSettings(temperature=0.1, stop=["##"]),
            ),
            metadata=bearer(cred),
            timeout=30,
        ).prompt
        assert created.id.startswith("prm_") and created.variables == ["role"]
        assert created.settings.HasField("temperature") and not created.settings.HasField("top_p")
        updated = stub.UpdatePrompt(
            prompts_pb2.UpdatePromptRequest(prompt_id=created.id, description="now described"),
            metadata=bearer(cred),
            timeout=30,
        ).prompt
        assert updated.version == 2 and updated.settings.temperature == pytest.approx(0.1)
        listed = stub.ListPrompts(
            prompts_pb2.ListPromptsRequest(project_id="ops"), metadata=bearer(agent), timeout=30
        )
        assert [p.id for p in listed.prompts] == [created.id]
        found = stub.SearchPrompts(
            prompts_pb2.SearchPromptsRequest(q="DESCRIBED"), metadata=bearer(agent), timeout=30
        )
        assert [p.id for p in found.prompts] == [created.id]
        first = stub.GetPrompt(
            prompts_pb2.GetPromptRequest(prompt_id=created.id, version=1),
            metadata=bearer(agent),
            timeout=30,
        ).prompt
        assert first.version == 1 and first.description == ""
        with pytest.raises(grpc.RpcError) as denied:
            stub.DeletePrompt(
                prompts_pb2.DeletePromptRequest(prompt_id=created.id),
                metadata=bearer(agent),
                timeout=30,
            )
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert rich_error(denied.value)[0].code == "permission_denied"
        gone = stub.DeletePrompt(
            prompts_pb2.DeletePromptRequest(prompt_id=created.id), metadata=bearer(cred), timeout=30
        )
        assert gone.deleted and gone.prompt_id == created.id
        with pytest.raises(grpc.RpcError) as missing:
            stub.GetPrompt(
                prompts_pb2.GetPromptRequest(prompt_id=created.id),
                metadata=bearer(cred),
                timeout=30,
            )
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as bad:
            stub.CreatePrompt(
                prompts_pb2.CreatePromptRequest(raw_body=b'{"name": 3}'),
                metadata=bearer(cred),
                timeout=30,
            )
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert rich_error(bad.value)[0].param == "name"


def test_reads_carry_the_tokens_rate_limits(
    stack: Stack, api: Callable[..., httpx.Response], new_brand: Callable[[], Brand]
) -> None:
    client_id, cred, _ = new_brand()
    _, limited = stack.core.identity.mint_token(client_id, "limited", None, TokenControls(rpm=7))
    p = api("POST", "/prompts", cred, json={"name": "limits"}).json()
    for method, path, params in (
        ("GET", "/prompts", {}),
        ("GET", "/prompts/search", {"q": "limits"}),
        ("GET", f"/prompts/{p['id']}", {}),
        ("GET", f"/prompts/{p['id']}", {"version": 5}),  # an error after authentication
        ("DELETE", f"/prompts/{p['id']}", {}),  # refused to an agent token
    ):
        response = api(method, path, str(limited), params=params)
        assert response.headers["X-RateLimit-Limit-Requests"] == "7", (path, response.text)

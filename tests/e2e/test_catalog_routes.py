"""The public catalog routes over HTTP: health, models (filters, sort, paging), aliases,
providers; and the error envelope for bad parameters and unknown routes."""

from __future__ import annotations

import httpx
import pytest
from openai import OpenAI

from tests.stack import Stack


def get(stack: Stack, path: str, **params: str) -> httpx.Response:
    return httpx.get(stack.base_url + path, params=params)


def test_health(stack: Stack) -> None:
    r = get(stack, "/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["version"] and body["uptime"] >= 0
    assert r.headers["x-request-id"]


def test_models_default_listing_is_openai_shaped(stack: Stack) -> None:
    body = get(stack, "/models").json()
    assert body["object"] == "list"
    first = body["data"][0]
    assert set(first) == {"id", "object", "created", "owned_by", "spidergate_info"}
    info = first["spidergate_info"]
    for key in (
        "provider",
        "provider_model",
        "display_name",
        "context_window",
        "max_output_tokens",
        "capabilities",
        "free_tier",
        "is_configured",
        "in_task_aliases",
        "pricing",
        "kind",
    ):
        assert key in info
    assert body["total"] == len(body["data"])


def test_models_filters(stack: Stack) -> None:
    groq = get(stack, "/models", provider="groq").json()["data"]
    # Models of Groq, and the aliases whose chain may route to Groq.
    assert groq and all(
        m["spidergate_info"]["provider"] == "groq"
        if m["spidergate_info"]["kind"] == "model"
        else any(c.startswith("groq:") for c in m["spidergate_info"]["chain"])
        for m in groq
    )
    free = get(stack, "/models", free_only="true").json()["data"]
    assert free and all(m["spidergate_info"]["free_tier"] for m in free)
    vision = get(stack, "/models", capability="vision").json()["data"]
    assert vision and all("vision" in m["spidergate_info"]["capabilities"] for m in vision)
    found = get(stack, "/models", search="LLAMA-3.1").json()["data"]
    assert found and all(
        "llama-3.1" in m["id"].lower()
        or "llama 3.1" in m["spidergate_info"]["display_name"].lower()
        for m in found
    )
    configured = get(stack, "/models", configured_only="true").json()["data"]
    assert configured and all(m["spidergate_info"]["is_configured"] for m in configured)
    assert get(stack, "/models", provider="nobody").json()["data"] == []


def test_models_sort_and_paging(stack: Stack) -> None:
    by_context = get(stack, "/models", sort_by="context").json()["data"]
    windows = [m["spidergate_info"]["context_window"] for m in by_context]
    assert windows == sorted(windows, reverse=True)
    by_name = [
        m["spidergate_info"]["display_name"]
        for m in get(stack, "/models", sort_by="name").json()["data"]
    ]
    assert by_name == sorted(by_name, key=str.lower) or by_name == sorted(by_name)
    whole = get(stack, "/models", sort_by="name").json()
    page = get(stack, "/models", sort_by="name", limit="5", offset="5").json()
    assert [m["id"] for m in page["data"]] == [m["id"] for m in whole["data"][5:10]]
    assert page["total"] == whole["total"] and page["has_more"] is True


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "2001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"sort_by": "popularity"}, "sort_by"),
        ({"free_only": "maybe"}, "free_only"),
        ({"kind": "aliases"}, "kind"),
    ],
)
def test_models_bad_params_are_400_with_param(
    stack: Stack, params: dict[str, str], param: str
) -> None:
    r = get(stack, "/models", **params)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_request"
    assert r.json()["error"]["param"] == param


def test_aliases_in_the_model_list(stack: Stack) -> None:
    both = get(stack, "/models").json()
    aliases = get(stack, "/models", kind="alias").json()
    models = get(stack, "/models", kind="model").json()
    assert aliases["total"] == 26 and aliases["total"] + models["total"] == both["total"]
    assert [m["id"] for m in both["data"][:26]] == [m["id"] for m in aliases["data"]]
    assert {m["spidergate_info"]["kind"] for m in models["data"]} == {"model"}
    fast = next(m for m in aliases["data"] if m["id"] == "spideriq/fast")
    listed = {a["id"]: a for a in get(stack, "/aliases").json()["data"]}["spideriq/fast"]
    info = fast["spidergate_info"]
    assert fast["object"] == "model" and fast["owned_by"] == "spidergate"
    assert info["kind"] == "alias" and info["chain"] == listed["models"]
    assert info["use_case"] == listed["use_case"] and info["context_window"] > 0
    assert "chat" in info["capabilities"] and info["is_configured"] is True
    # The same entry by id, slashes and all; a kind we do not have is a 400 naming it.
    one = get(stack, "/models/spideriq/fast")
    assert one.status_code == 200 and one.json() == fast
    bad = get(stack, "/models", kind="embedding")
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "kind"


def test_aliases_in_the_openai_sdks_model_list(stack: Stack, token: str) -> None:
    client = OpenAI(base_url=stack.base_url, api_key=token, max_retries=0)
    ids = [m.id for m in client.models.list()]
    assert "spideriq/fast" in ids and "groq/llama-3.1-8b-instant" in ids
    assert client.models.retrieve("spideriq/coding").id == "spideriq/coding"


def test_model_ids_with_slashes(stack: Stack) -> None:
    r = get(stack, "/models/openrouter/meta-llama/llama-3.3-70b-instruct:free")
    assert r.status_code == 200
    assert r.json()["id"] == "openrouter/meta-llama/llama-3.3-70b-instruct:free"
    missing = get(stack, "/models/acme/unknown-model")
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "type": "not_found_error",
        "code": "model_not_found",
        "message": "The model 'acme/unknown-model' does not exist.",
        "param": "model",
    }


def test_aliases(stack: Stack) -> None:
    body = get(stack, "/aliases").json()
    assert body["object"] == "list" and len(body["data"]) == 26
    fast = next(a for a in body["data"] if a["id"] == "spideriq/fast")
    assert fast["models"][0] == "groq:llama-3.1-8b-instant"
    assert fast["use_case"]
    agent = next(a for a in body["data"] if a["id"] == "agent/fast")
    assert agent["falls_through_to"] == "agent/chat"


def test_providers(stack: Stack) -> None:
    data = get(stack, "/providers").json()["data"]
    by_id = {p["id"]: p for p in data}
    assert {"groq", "anthropic", "google_ai", "ollama", "vllm"} <= set(by_id)
    assert by_id["groq"]["api_format"] == "openai" and by_id["groq"]["free_tier"] is True
    assert by_id["anthropic"]["api_format"] == "anthropic"
    assert by_id["google_ai"]["api_format"] == "gemini"
    # Demo mode points every provider at the mock, all three wire formats included.
    assert all(p["is_configured"] for p in data)


def test_v1_prefix_and_unknown_routes(stack: Stack) -> None:
    r = httpx.get(f"http://127.0.0.1:{stack.http_port}/v1/aliases")
    assert r.status_code == 200 and len(r.json()["data"]) == 26
    r = httpx.get(f"http://127.0.0.1:{stack.http_port}/v2/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = httpx.delete(stack.base_url + "/aliases")
    assert r.status_code == 405 and r.json()["error"]["type"] == "invalid_request_error"

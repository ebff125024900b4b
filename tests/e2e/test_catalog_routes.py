"""The public catalog routes over HTTP: health, models (filters, sort, paging), aliases,
providers; and the error envelope for bad parameters and unknown routes."""

from __future__ import annotations

import httpx
import pytest

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
    ):
        assert key in info
    assert body["total"] == len(body["data"])


def test_models_filters(stack: Stack) -> None:
    groq = get(stack, "/models", provider="groq").json()["data"]
    assert groq and all(m["spidergate_info"]["provider"] == "groq" for m in groq)
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
    ],
)
def test_models_bad_params_are_400_with_param(
    stack: Stack, params: dict[str, str], param: str
) -> None:
    r = get(stack, "/models", **params)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_request"
    assert r.json()["error"]["param"] == param


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

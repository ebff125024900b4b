"""``/media/models`` and ``/media/generations`` over the real bridge, core and mock."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.test_images_sdk import check_png
from tests.stack import Stack


def get(stack: Stack, token: str, query: str = "") -> httpx.Response:
    return httpx.get(
        stack.base_url + "/media/models" + query, headers={"Authorization": f"Bearer {token}"}
    )


def generate(stack: Stack, token: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        stack.base_url + "/media/generations",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_models_filter_by_modality_and_status(stack: Stack, token: str) -> None:
    everything = get(stack, token).json()["data"]
    ids = {m["id"] for m in everything}
    assert {"openai/gpt-image-1", "openai/dall-e-3", "openai/tts-1", "openai/whisper-1"} <= ids
    assert {m["status"] for m in everything} == {"active"}  # coming_soon hidden
    images = get(stack, token, "?modality=text-to-image").json()["data"]
    assert {m["modality"] for m in images} == {"text-to-image"} and len(images) == 3
    video = get(stack, token, "?modality=text-to-video&include_inactive=true").json()["data"]
    assert [m["status"] for m in video] == ["coming_soon"]
    assert get(stack, token, "?modality=text-to-video").json()["data"] == []


def test_model_schema_and_prices_from_the_catalog(stack: Stack, token: str) -> None:
    models = {m["id"]: m for m in get(stack, token, "?include_inactive=true").json()["data"]}
    dalle = models["openai/dall-e-3"]
    assert dalle["inputs"]["prompt"] == {"type": "string", "required": True, "maxLength": 4000}
    assert dalle["inputs"]["quality"] == {
        "type": "enum",
        "enum": ["standard", "hd"],
        "default": "standard",
    }
    assert dalle["pricing"] == {"per_image_usd": 0.04}
    sora = models["openai/sora-2"]
    assert sora["inputs"]["guidance_scale"] == {
        "type": "float",
        "min": 1,
        "max": 20,
        "step": 0.5,
        "default": 7.5,
    }
    assert sora["inputs"]["seed"] == {"type": "int"}
    assert models["openai/tts-1"]["pricing"]["per_character_usd"] > 0


def test_bad_modality_is_400_naming_it(stack: Stack, token: str) -> None:
    r = get(stack, token, "?modality=smell")
    assert r.status_code == 400 and r.json()["error"]["param"] == "modality"
    assert get(stack, "nope").status_code == 401


def test_generation_drops_undeclared_params_and_estimates_cost(stack: Stack, token: str) -> None:
    r = generate(
        stack,
        token,
        {
            "model": "openai/dall-e-2",
            "params": {"prompt": "a spider", "n": 2, "response_format": "b64_json", "cfg": 3},
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "openai/dall-e-2" and len(body["data"]) == 2
    assert check_png(base64.b64decode(body["data"][0]["b64_json"])) == (16, 16)
    assert r.headers["X-SpiderGate-Dropped-Params"] == "cfg"
    upstream = stack.mock.state.records[-1]
    assert "cfg" not in upstream.body and upstream.body["n"] == 2
    # A pooled (demo) key, markup 0.0: billed the provider's cost.
    assert body["est_cost"] == {"billed_usd": pytest.approx(0.04), "provider_cost_usd": 0.04}


def test_generation_on_the_brands_own_key_is_billed_nothing(
    stack: Stack, add_key: Callable[..., Any]
) -> None:
    brand, _ = stack.core.identity.create_brand("own-media-key")
    _, tok = stack.core.identity.mint_token(brand.client_id, "agent", None)
    add_key(
        "openai", "sk-own-media", client_id=brand.client_id, base_url=stack.mock.url + "/openai/v1"
    )
    r = generate(stack, str(tok), {"model": "openai/dall-e-3", "params": {"prompt": "mine"}})
    assert r.status_code == 200, r.text
    assert stack.mock.state.records[-1].key == "sk-own-media"
    assert r.json()["est_cost"] == {"billed_usd": 0.0, "provider_cost_usd": 0.04}
    assert "url" in r.json()["data"][0]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "params.prompt"),
        ({"prompt": 5}, "params.prompt"),
        ({"prompt": "x", "n": 11}, "params.n"),
        ({"prompt": "x", "n": 1.5}, "params.n"),
        ({"prompt": "x", "size": "2x2"}, "params.size"),
        ({"prompt": "x" * 1001}, "params.prompt"),
    ],
)
def test_bad_params_are_400_naming_them(
    stack: Stack, token: str, params: dict[str, Any], param: str
) -> None:
    before = stack.mock.state.total
    r = generate(stack, token, {"model": "openai/dall-e-2", "params": params})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param
    assert stack.mock.state.total == before


def test_status_and_modality_answers(stack: Stack, token: str) -> None:
    soon = generate(stack, token, {"model": "openai/sora-2", "params": {"prompt": "x"}})
    assert soon.status_code == 503 and soon.json()["error"]["code"] == "service_unavailable"
    unknown = generate(stack, token, {"model": "openai/nope", "params": {}})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
    speech = generate(stack, token, {"model": "openai/tts-1", "params": {"input": "hi"}})
    assert speech.status_code == 400 and speech.json()["error"]["code"] == "invalid_request"
    assert "/audio/speech" in speech.json()["error"]["message"]
    untyped = generate(stack, token, {"model": 7})
    assert untyped.status_code == 400 and untyped.json()["error"]["param"] == "model"

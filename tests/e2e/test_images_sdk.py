"""Images and moderations through the official openai SDK, over the real bridge, core
and mock provider: typed answers, valid PNGs, failover, budgets, and 503 no_openai_key."""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI
from openai.types import ModerationMultiModalInputParam

from gate_service.auth.principal import TokenControls
from tests.stack import Stack, make_settings


@pytest.fixture(scope="module")
def client(stack: Stack, token: str) -> OpenAI:
    return OpenAI(base_url=stack.base_url, api_key=token, max_retries=0)


@pytest.fixture(autouse=True)
def clean(stack: Stack) -> Iterator[None]:
    stack.core.router.health.clear()
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    yield
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    stack.core.router.health.clear()


def check_png(data: bytes) -> tuple[int, int]:
    """The PNG's width and height, after checking its signature, IHDR and CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    ihdr = data[16:29]
    (crc,) = struct.unpack(">I", data[29:33])
    assert crc == zlib.crc32(b"IHDR" + ihdr)
    width, height, depth, colour_type = struct.unpack(">IIBB", ihdr[:10])
    assert depth == 8 and colour_type == 2
    assert data.endswith(b"IEND\xaeB`\x82")
    return width, height


def test_b64_json_images_are_valid_pngs(client: OpenAI, stack: Stack) -> None:
    before = stack.mock.state.total
    resp = client.images.generate(
        model="dall-e-2", prompt="a red spider on a web", response_format="b64_json", n=2
    )
    assert stack.mock.state.total - before == 1
    assert resp.data is not None and len(resp.data) == 2
    images = [base64.b64decode(d.b64_json or "") for d in resp.data]
    for image in images:
        assert check_png(image) == (16, 16)
    assert images[0] != images[1]  # one colour per index
    assert resp.created > 0
    meta = (resp.model_extra or {})["spidergate_metadata"]
    assert meta["provider"] == "openai" and meta["provider_model"] == "dall-e-2"
    assert meta["cost_usd"] == pytest.approx(2 * 0.02)  # two base-price images
    upstream = stack.mock.state.records[-1]
    assert upstream.endpoint == "openai.images.generations"
    assert upstream.body["n"] == 2 and upstream.body["model"] == "dall-e-2"


def test_url_form_points_at_a_png(client: OpenAI, stack: Stack) -> None:
    resp = client.images.generate(prompt="a blue spider", extra_body={"background": "opaque"})
    assert resp.data is not None and len(resp.data) == 1
    url = resp.data[0].url or ""
    assert url.startswith(stack.mock.url) and url.endswith(".png")
    upstream = stack.mock.state.records[-1]
    assert upstream.body["model"] == "dall-e-2"  # OpenAI's default
    assert upstream.body["background"] == "opaque"  # an unknown field passed through
    got = httpx.get(url, headers={"Authorization": "Bearer demo-key-openai"})
    assert got.headers["content-type"] == "image/png"
    assert check_png(got.content) == (16, 16)


def test_hd_dall_e_3_costs_more_and_revises(client: OpenAI) -> None:
    resp = client.images.generate(
        model="dall-e-3", prompt="a spider", quality="hd", size="1792x1024"
    )
    assert resp.data is not None and resp.data[0].revised_prompt == "A picture of: a spider"
    meta = (resp.model_extra or {})["spidergate_metadata"]
    assert meta["cost_usd"] == pytest.approx(0.12)  # three base units of $0.04


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"prompt": "x" * 4001}, "prompt"),
        ({"prompt": "hi", "n": 11}, "n"),
        ({"prompt": "hi", "model": "dall-e-3", "n": 2}, "n"),
        ({"prompt": "hi", "response_format": "gif"}, "response_format"),
        ({"prompt": "hi", "n": "two"}, "n"),
        ({}, "prompt"),
    ],
)
def test_bad_image_requests_name_the_param(
    stack: Stack, token: str, body: dict[str, Any], param: str
) -> None:
    before = stack.mock.state.total
    r = httpx.post(
        stack.base_url + "/images/generations",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 400
    assert r.json()["error"]["param"] == param
    assert stack.mock.state.total == before


def test_gpt_image_1_takes_a_long_prompt(client: OpenAI) -> None:
    resp = client.images.generate(model="gpt-image-1", prompt="y" * 20_000)
    assert resp.data is not None and len(resp.data) == 1


def test_image_request_fails_over_on_429(
    client: OpenAI, stack: Stack, add_key: Callable[..., Any]
) -> None:
    add_key("openai", "sk-images-second", base_url=stack.mock.url + "/openai/v1")
    rule = {"kind": "error", "status": 429, "times": 1, "match": {"path": "/openai/v1/images"}}
    httpx.post(stack.mock.url + "/__mock/faults", json=rule).raise_for_status()
    before = stack.mock.state.total
    resp = client.images.with_raw_response.generate(prompt="failover", response_format="b64_json")
    images = resp.parse()
    assert images.data is not None and check_png(base64.b64decode(images.data[0].b64_json or ""))
    records = list(stack.mock.state.records)[-(stack.mock.state.total - before) :]
    assert len(records) == 2
    assert len({rec.key for rec in records}) == 2  # the second try used the other key


def test_budget_smaller_than_one_image_is_402_before_the_provider(stack: Stack) -> None:
    brand, _ = stack.core.identity.create_brand("image-budget")
    _, tok = stack.core.identity.mint_token(
        brand.client_id, "agent", None, TokenControls(budget_usd=0.01)
    )
    before = stack.mock.state.total
    r = httpx.post(
        stack.base_url + "/images/generations",
        json={"prompt": "too dear", "model": "dall-e-2"},
        headers={"Authorization": f"Bearer {tok}"},
    )
    assert r.status_code == 402
    assert r.json()["error"]["code"] == "budget_exceeded"
    assert stack.mock.state.total == before


def test_moderation_single_and_list(client: OpenAI) -> None:
    one = client.moderations.create(input="I will kill the process")
    assert one.model.startswith("omni-moderation")
    assert one.results[0].flagged is True
    assert one.results[0].categories.violence is True
    assert one.results[0].category_scores.violence > 0.9
    many = client.moderations.create(
        model="text-moderation-latest", input=["good morning", "I hate mondays"]
    )
    assert [r.flagged for r in many.results] == [False, True]
    assert many.results[1].categories.hate is True
    # Every category the upstream sent is kept, not only those the SDK types.
    assert "illicit/violent" in many.results[0].categories.model_dump(by_alias=True)
    meta = (many.model_extra or {})["spidergate_metadata"]
    assert meta["provider"] == "openai" and meta["provider_model"] == "text-moderation-latest"


def test_moderation_of_multimodal_parts(client: OpenAI) -> None:
    parts: list[ModerationMultiModalInputParam] = [
        {"type": "text", "text": "kill it"},
        {"type": "image_url", "image_url": {"url": "https://example.com/x.png"}},
    ]
    resp = client.moderations.create(input=parts)
    assert resp.results[0].flagged is True
    applied = resp.results[0].category_applied_input_types
    assert applied.violence == ["text", "image"]


@pytest.fixture(scope="module")
def keyless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, str]]:
    """A second gateway with no provider keys at all: nothing can serve an image."""
    data_dir: Path = tmp_path_factory.mktemp("keyless")
    s = Stack(make_settings(data_dir)).start(demo=False)
    brand, _ = s.core.identity.create_brand("keyless")
    _, tok = s.core.identity.mint_token(brand.client_id, "agent", None)
    yield s, str(tok)
    s.stop()


def test_no_openai_key_is_503(keyless: tuple[Stack, str]) -> None:
    stack, tok = keyless
    sdk = OpenAI(base_url=stack.base_url, api_key=tok, max_retries=0)
    with pytest.raises(openai.APIStatusError) as err:
        sdk.images.generate(prompt="nobody can draw this")
    assert err.value.status_code == 503
    assert err.value.body["code"] == "no_openai_key"  # type: ignore[index]
    with pytest.raises(openai.APIStatusError) as err:
        sdk.moderations.create(input="hello")
    assert err.value.status_code == 503
    assert stack.mock.state.total == 0

"""The pure parts of the OpenAI images and moderations adapters."""

from __future__ import annotations

import orjson
import pytest

from gate_service.catalog.loader import load_bundled
from gate_service.domain.images import ImageRequest, image_request_from_json
from gate_service.domain.moderations import moderation_request_from_json
from gate_service.providers.base import FailureKind, Target, UpstreamFailure
from gate_service.providers.openai_images import (
    build_image_request,
    image_units,
    parse_image_response,
)
from gate_service.providers.openai_moderations import (
    build_moderation_request,
    parse_moderation_response,
)


def target(model: str) -> Target:
    provider = next(p for p in load_bundled().providers if p.id == "openai")
    return Target(provider, model, "https://api.example/v1/", secret="sk-x")


def test_image_request_keeps_unknown_fields_and_uses_the_providers_model() -> None:
    request = image_request_from_json(
        {"prompt": "p", "model": "openai/dall-e-3", "size": "1024x1024", "background": "x"}
    )
    upstream = build_image_request(target("dall-e-3"), request)
    assert upstream.url == "https://api.example/v1/images/generations"
    assert upstream.headers["authorization"] == "Bearer sk-x"
    assert orjson.loads(upstream.body) == {
        "model": "dall-e-3",
        "prompt": "p",
        "size": "1024x1024",
        "background": "x",
    }


def test_image_response_is_parsed_with_its_extra_keys() -> None:
    body = {
        "created": 7,
        "data": [{"b64_json": "AAA", "revised_prompt": "r", "x": 1}],
        "usage": {"total_tokens": 3},
    }
    answer = parse_image_response(orjson.dumps(body))
    assert answer.created == 7 and answer.data[0].b64_json == "AAA"
    assert answer.data[0].revised_prompt == "r" and answer.data[0].extra == {"x": 1}
    assert answer.extra == {"usage": {"total_tokens": 3}}
    with pytest.raises(UpstreamFailure) as err:
        parse_image_response(b"{}")
    assert err.value.kind is FailureKind.SERVER


@pytest.mark.parametrize(
    ("model", "size", "quality", "units"),
    [
        ("dall-e-2", "256x256", "", 1),
        ("dall-e-3", "1024x1024", "standard", 1),
        ("dall-e-3", "1792x1024", "standard", 2),
        ("dall-e-3", "1024x1024", "hd", 2),
        ("openai/dall-e-3", "1024x1792", "hd", 3),
        ("gpt-image-1", "1024x1024", "medium", 1),
        ("gpt-image-1", "1024x1024", "high", 4),
        ("gpt-image-1", "1536x1024", "medium", 2),
        ("gpt-image-1", "1536x1024", "high", 6),
        ("gpt-image-1", "1536x1024", "low", 1),
    ],
)
def test_image_units(model: str, size: str, quality: str, units: int) -> None:
    assert image_units(model, size, quality) == units


def test_image_request_count_defaults_to_one() -> None:
    assert ImageRequest(prompt="p").count == 1


def test_moderation_round_trip_keeps_every_category() -> None:
    request = moderation_request_from_json({"input": ["a", "b"], "extra": True})
    upstream = build_moderation_request(target("omni-moderation-latest"), request)
    assert orjson.loads(upstream.body) == {
        "model": "omni-moderation-latest",
        "input": ["a", "b"],
        "extra": True,
    }
    body = {
        "id": "modr-1",
        "model": "m",
        "results": [
            {
                "flagged": True,
                "categories": {"hate": True, "new/category": False},
                "category_scores": {"hate": 0.9, "new/category": 0.01},
                "category_applied_input_types": {"hate": ["text"]},
            }
        ],
    }
    answer = parse_moderation_response(orjson.dumps(body))
    assert answer.results[0].categories == {"hate": True, "new/category": False}
    assert answer.results[0].category_scores["new/category"] == 0.01
    with pytest.raises(Exception, match="input"):
        moderation_request_from_json({"input": [1, 2]})

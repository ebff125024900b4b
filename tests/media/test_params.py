"""The media catalogue's loader and the params check, pure."""

from __future__ import annotations

import pytest

from gate_service.errors import GateError
from gate_service.media.catalog import load_media_catalog, parse_media_catalog
from gate_service.media.generation import image_request_of
from gate_service.media.params import check_params


def test_bundled_catalogue_loads_and_lists() -> None:
    catalog = load_media_catalog()
    assert catalog.get("openai/gpt-image-1") is not None
    assert all(m.status == "active" for m in catalog.listed(None, False))
    assert any(m.status == "coming_soon" for m in catalog.listed(None, True))


def test_a_bad_input_type_fails_at_load() -> None:
    with pytest.raises(ValueError, match="type"):
        parse_media_catalog([{"id": "a/b", "modality": "tts", "inputs": {"x": {"type": "colour"}}}])


def test_check_params_keeps_declared_and_names_dropped() -> None:
    model = load_media_catalog().get("openai/tts-1")
    assert model is not None
    kept, dropped = check_params(model, {"input": "hi", "speed": 2, "pitch": 3, "zz": 1})
    assert kept == {"input": "hi", "speed": 2.0} and dropped == ["pitch", "zz"]
    for params, param in (
        ({"input": "hi", "speed": 5}, "params.speed"),
        ({"input": "hi", "speed": True}, "params.speed"),
        ({"input": "hi", "voice": "bob"}, "params.voice"),
        ({"speed": 1}, "params.input"),
    ):
        with pytest.raises(GateError) as err:
            check_params(model, params)
        assert err.value.param == param


def test_image_request_of_text_to_image_params() -> None:
    model = load_media_catalog().get("openai/gpt-image-1")
    assert model is not None
    request = image_request_of(model, {"prompt": "p", "n": 2, "background": "opaque"})
    assert request.model == "openai/gpt-image-1" and request.n == 2
    assert request.extra == {"background": "opaque"}

"""Speech and transcription requests across the edges (gate_service/proto_convert/audio.py):
JSON or form -> proto at the bridge -> domain at the core."""

from __future__ import annotations

import orjson
import pytest

from gate_service.errors import GateError
from gate_service.proto_convert.audio import (
    form_to_params,
    params_from_proto,
    speech_from_proto,
    speech_to_proto,
    untyped_form,
    untyped_speech,
)


def test_speech_round_trip_keeps_unknown_keys() -> None:
    body = {"model": "tts-1", "input": "Hi", "voice": "sage", "speed": 2, "stream_format": "audio"}
    speech = speech_from_proto(speech_to_proto(body))
    assert (speech.model, speech.input, speech.voice, speech.speed) == ("tts-1", "Hi", "sage", 2.0)
    assert speech.response_format == "" and speech.extra == {"stream_format": "audio"}


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        (b'{"model": "tts-1", "input": 5, "voice": "alloy"}', "input"),
        (b'{"model": "tts-1", "speed": "fast"}', "speed"),
        (b"[1, 2]", None),
        (b"not json", None),
    ],
)
def test_a_forwarded_body_is_refused_by_the_core_naming_the_param(
    raw: bytes, param: str | None
) -> None:
    with pytest.raises(GateError) as err:
        speech_from_proto(untyped_speech(raw))
    assert err.value.code == "invalid_request" and err.value.param == param


def test_form_fields_sorted_into_params() -> None:
    fields = [
        ("model", "whisper-1"),
        ("timestamp_granularities[]", "word"),
        ("timestamp_granularities[]", "segment"),
        ("temperature", "0.3"),
        ("include[]", "logprobs"),
        ("include[]", "more"),
        ("chunking_strategy", "auto"),
    ]
    msg = form_to_params(fields, "a.mp3", "audio/mpeg")
    request = params_from_proto(msg, translate=False)
    assert request.model == "whisper-1" and request.filename == "a.mp3"
    assert request.timestamp_granularities == ["word", "segment"]
    assert request.temperature == pytest.approx(0.3)
    assert request.extra == {"include[]": ["logprobs", "more"], "chunking_strategy": "auto"}
    assert orjson.loads(msg.extra_json) == request.extra


def test_form_faults_are_the_cores_400() -> None:
    msg = form_to_params([("model", "whisper-1"), ("temperature", "warm")], "a", "")
    with pytest.raises(GateError) as err:
        params_from_proto(msg, translate=False)
    assert err.value.param == "temperature"
    with pytest.raises(GateError) as err:
        params_from_proto(untyped_form("boundary missing"), translate=True)
    assert err.value.param == "file" and "boundary missing" in err.value.message

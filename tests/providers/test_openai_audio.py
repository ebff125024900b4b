"""The OpenAI audio wire's pure parts (gate_service/providers/openai_audio.py): the
requests built from the domain requests, and the answers read back."""

from __future__ import annotations

import orjson
import pytest

from gate_service.domain.audio import SpeechRequest, TranscriptionRequest
from gate_service.providers.base import FailureKind, UpstreamFailure
from gate_service.providers.openai_audio import (
    form_fields,
    parse_transcript,
    speech_request,
    transcription_url,
    upload_headers,
)
from tests.e2e.test_audio_sdk import make_wav
from tests.providers.support import target

TARGET = target("openai", "tts-1")


def test_speech_request_sends_only_what_the_client_set_and_the_served_model() -> None:
    request = SpeechRequest(model="agent-asked", input="Hello", voice="verse", extra={"x": 1})
    upstream = speech_request(TARGET, request)
    assert upstream.url.endswith("/audio/speech")
    assert upstream.headers["authorization"].startswith("Bearer ")
    assert orjson.loads(upstream.body) == {
        "x": 1,
        "model": "tts-1",
        "input": "Hello",
        "voice": "verse",
    }
    request.speed, request.response_format, request.instructions = 1.5, "opus", "Whisper."
    body = orjson.loads(speech_request(TARGET, request).body)
    assert (body["speed"], body["response_format"], body["instructions"]) == (
        1.5,
        "opus",
        "Whisper.",
    )
    assert request.content_type == "audio/opus"


def test_form_fields_in_openai_spelling() -> None:
    request = TranscriptionRequest(
        model="whisper-1",
        language="fr",
        response_format="verbose_json",
        temperature=0.0,
        timestamp_granularities=["word", "segment"],
        extra={"include[]": ["logprobs"], "chunking_strategy": "auto"},
    )
    assert form_fields(target("openai", "whisper-large-v3-turbo"), request) == [
        ("model", "whisper-large-v3-turbo"),
        ("language", "fr"),
        ("response_format", "verbose_json"),
        ("temperature", "0.0"),
        ("timestamp_granularities[]", "word"),
        ("timestamp_granularities[]", "segment"),
        ("include[]", "logprobs"),
        ("chunking_strategy", "auto"),
    ]
    assert transcription_url(TARGET, request).endswith("/audio/transcriptions")
    request.translate = True
    assert transcription_url(TARGET, request).endswith("/audio/translations")
    assert "content-type" not in upload_headers(TARGET)  # the form sets its own


def test_parse_transcript_by_format() -> None:
    wav = make_wav(2.0, rate=8000)
    head, size = wav[:4096], len(wav)
    json_request = TranscriptionRequest(model="whisper-1")
    body = orjson.dumps({"text": "hi", "usage": {"type": "duration", "seconds": 3}})
    answer = parse_transcript(json_request, body, head, size)
    assert (answer.body, answer.content_type, answer.audio_seconds) == (
        body,
        "application/json",
        3.0,
    )
    # gpt-4o-transcribe counts tokens: the WAV header's duration is billed.
    body = orjson.dumps({"text": "hi", "usage": {"type": "tokens", "input_tokens": 5}})
    assert parse_transcript(json_request, body, head, size).audio_seconds == pytest.approx(2.0)
    text_request = TranscriptionRequest(model="whisper-1", response_format="srt")
    answer = parse_transcript(text_request, b"1\n00:00:00,000 --> 00:00:01,000\nhi\n", head, size)
    assert answer.content_type == "text/plain; charset=utf-8"
    assert answer.audio_seconds == pytest.approx(2.0)


@pytest.mark.parametrize("body", [b"<html>", b"[1]", b'{"no": "text"}'])
def test_a_json_answer_without_text_is_the_providers_fault(body: bytes) -> None:
    with pytest.raises(UpstreamFailure) as err:
        parse_transcript(TranscriptionRequest(model="whisper-1"), body, b"", 100)
    assert err.value.kind is FailureKind.PROTOCOL

"""The mock's OpenAI audio endpoints, driven by the official ``openai`` SDK: speech is a
real streamed WAV, transcriptions read the upload and answer deterministic text in every
format, faults act as for chat."""

from __future__ import annotations

import io
import wave

import openai
import pytest
from openai.types.audio import TranscriptionVerbose

from mock_provider import MockState
from mock_provider.formats.openai_audio import render, transcript_words, wav_seconds
from tests.e2e.test_audio_sdk import make_wav


async def test_speech_is_a_wav_of_60_ms_a_character(client: openai.AsyncOpenAI) -> None:
    async with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="shimmer", input="Twelve chars", response_format="wav"
    ) as response:
        assert response.headers["content-type"] == "audio/wav"
        assert response.headers.get("transfer-encoding") == "chunked"
        audio = await response.read()
    with wave.open(io.BytesIO(audio), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16_000)
        assert w.getnframes() == 12 * 960


async def test_speech_needs_its_fields(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        await client.audio.speech.create(model="tts-1", voice="alloy", input="")
    assert err.value.body["param"] == "input"  # type: ignore[index]


async def test_transcription_reads_the_form_and_records_its_fields(
    client: openai.AsyncOpenAI, state: MockState
) -> None:
    wav = make_wav(1.5)
    verbose = await client.audio.transcriptions.create(
        file=("a.wav", wav, "audio/wav"),
        model="whisper-1",
        response_format="verbose_json",
        timestamp_granularities=["word"],
    )
    assert isinstance(verbose, TranscriptionVerbose)
    assert verbose.duration == pytest.approx(1.5)
    record = state.records[-1]
    assert (record.endpoint, record.model) == ("openai.audio.transcriptions", "whisper-1")
    assert record.body == {
        "model": "whisper-1",
        "response_format": "verbose_json",
        "timestamp_granularities[]": "word",
    }


async def test_faults_match_the_forms_model(client: openai.AsyncOpenAI, state: MockState) -> None:
    state.add_fault({"kind": "error", "status": 429, "times": 1, "match": {"model": "whisper-1"}})
    with pytest.raises(openai.RateLimitError):
        await client.audio.transcriptions.create(file=("a.wav", b"RIFF"), model="whisper-1")
    answer = await client.audio.transcriptions.create(file=("a.wav", b"RIFF"), model="whisper-1")
    assert answer.text


def test_text_follows_the_bytes_and_every_format_says_it() -> None:
    words = transcript_words(bytes(range(32)))
    assert 8 <= len(words) <= 15
    assert transcript_words(bytes(range(32))) == words
    text = " ".join(words).capitalize() + "."
    for fmt, content_type in (("json", "application/json"), ("text", "text/plain")):
        body, got = render(words, 4.0, fmt, "english", [], "transcribe")
        assert got == content_type and text.encode() in body
    srt, _ = render(words, 4.0, "srt", "english", [], "transcribe")
    vtt, _ = render(words, 4.0, "vtt", "english", [], "transcribe")
    assert srt.startswith(b"1\n00:00:00,000 --> ") and vtt.startswith(b"WEBVTT\n\n")
    wav = make_wav(0.75)
    assert wav_seconds(wav[:4096], len(wav)) == pytest.approx(0.75)

"""AudioService through the generated Python stubs, over a real HTTP/2 channel to the core:
speech as a server stream, transcription and translation as client streams (the
parameters, then the file in chunks), and their errors in the rich status."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from typing import Any

import grpc
import orjson
import pytest

from spidergate.v1 import audio_pb2, audio_pb2_grpc
from tests.e2e.grpc_api.support import TIMEOUT, bearer, rich_error
from tests.e2e.test_audio_sdk import make_wav
from tests.stack import Stack

CHUNK = 256 * 1024
Transcribe = audio_pb2.CreateTranscriptionRequest


@pytest.fixture(scope="module")
def audio(channel: grpc.Channel) -> audio_pb2_grpc.AudioServiceStub:
    return audio_pb2_grpc.AudioServiceStub(channel)


def upload(
    params: audio_pb2.TranscriptionParams, content: bytes, part: type[Any] = Transcribe
) -> Iterator[Any]:
    """A client stream: the parameters, then the file in chunks."""
    yield part(params=params)
    for i in range(0, len(content), CHUNK):
        yield part(chunk=content[i : i + CHUNK])


def test_speech_is_a_stream_of_audio_with_headers_first(
    audio: audio_pb2_grpc.AudioServiceStub, token: str
) -> None:
    text = "Streaming speech over gRPC. " * 20
    request = audio_pb2.CreateSpeechRequest(
        model="gpt-4o-mini-tts",
        input=text,
        voice="coral",
        response_format="wav",
        instructions="Speak calmly.",
    )
    replies = list(audio.CreateSpeech(request, metadata=bearer(token), timeout=TIMEOUT))
    first, rest = replies[0], replies[1:]
    assert len(replies) > 1  # as the provider sent it: 16 KB chunks
    assert first.content_type == "audio/wav"
    assert first.metadata.provider == "openai" and first.metadata.model == "gpt-4o-mini-tts"
    assert first.metadata.cost_usd == pytest.approx(len(text) * 0.000012)
    assert first.metadata.request_id
    assert all(not r.content_type and not r.HasField("metadata") for r in rest)
    with wave.open(io.BytesIO(b"".join(r.audio for r in replies)), "rb") as w:
        assert w.getnframes() == 16_000 * 60 * len(text) // 1000


def test_speech_refusals_are_rich_errors(
    audio: audio_pb2_grpc.AudioServiceStub, token: str
) -> None:
    bad = audio_pb2.CreateSpeechRequest(model="tts-1", input="hi", voice="alloy", speed=9)
    with pytest.raises(grpc.RpcError) as err:
        list(audio.CreateSpeech(bad, metadata=bearer(token), timeout=TIMEOUT))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    detail, _ = rich_error(err.value)
    assert (detail.code, detail.param) == ("invalid_request", "speed")
    with pytest.raises(grpc.RpcError) as err:
        list(audio.CreateSpeech(bad, timeout=TIMEOUT))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_transcription_is_a_client_stream(
    audio: audio_pb2_grpc.AudioServiceStub, token: str, stack: Stack
) -> None:
    content = make_wav(40.0)  # 640 KB: three chunks
    params = audio_pb2.TranscriptionParams(
        model="whisper-1",
        filename="talk.wav",
        content_type="audio/wav",
        response_format="verbose_json",
        timestamp_granularities=["word"],
        temperature=0.2,
        extra_json=orjson.dumps({"chunking_strategy": "auto"}),
    )
    reply = audio.CreateTranscription(
        upload(params, content), metadata=bearer(token), timeout=TIMEOUT
    )
    assert reply.transcript.content_type == "application/json"
    answer = orjson.loads(reply.transcript.body)
    assert answer["duration"] == pytest.approx(40.0)
    assert [w["word"] for w in answer["words"]] == answer["text"].rstrip(".").lower().split()
    assert reply.metadata.provider == "openai"
    # verbose_json says the duration: 40 s at whisper-1's 0.0001 USD a second.
    assert reply.metadata.cost_usd == pytest.approx(40 * 0.0001)
    sent = stack.mock.state.records[-1].body
    assert sent == {
        "model": "whisper-1",
        "response_format": "verbose_json",
        "temperature": "0.2",
        "timestamp_granularities[]": "word",
        "chunking_strategy": "auto",
    }
    again = audio.CreateTranscription(
        upload(audio_pb2.TranscriptionParams(model="whisper-1", response_format="text"), content),
        metadata=bearer(token),
        timeout=TIMEOUT,
    )
    assert again.transcript.content_type.startswith("text/plain")
    assert again.transcript.body.decode().strip() == answer["text"]


def test_translation_is_a_client_stream(
    audio: audio_pb2_grpc.AudioServiceStub, token: str, stack: Stack
) -> None:
    params = audio_pb2.TranscriptionParams(model="whisper-1", response_format="srt")
    reply = audio.CreateTranslation(
        upload(params, make_wav(2.0), audio_pb2.CreateTranslationRequest),
        metadata=bearer(token),
        timeout=TIMEOUT,
    )
    assert reply.transcript.body.startswith(b"1\n00:00:00,000 --> ")
    assert stack.mock.state.records[-1].endpoint == "openai.audio.translations"


def test_upload_refusals(audio: audio_pb2_grpc.AudioServiceStub, token: str) -> None:
    chunk_first = iter([Transcribe(chunk=b"RIFF")])
    with pytest.raises(grpc.RpcError) as err:
        audio.CreateTranscription(chunk_first, metadata=bearer(token), timeout=TIMEOUT)
    detail, _ = rich_error(err.value)
    assert (detail.code, detail.param) == ("invalid_request", "params")

    no_file = upload(audio_pb2.TranscriptionParams(model="whisper-1"), b"")
    with pytest.raises(grpc.RpcError) as err:
        audio.CreateTranscription(no_file, metadata=bearer(token), timeout=TIMEOUT)
    assert rich_error(err.value)[0].param == "file"

    too_big = upload(audio_pb2.TranscriptionParams(model="whisper-1"), b"\0" * (26 * 1024 * 1024))
    with pytest.raises(grpc.RpcError) as err:
        audio.CreateTranscription(too_big, metadata=bearer(token), timeout=TIMEOUT)
    assert rich_error(err.value)[0].code == "request_too_large"

    unknown = upload(audio_pb2.TranscriptionParams(model="no-such-model"), b"RIFF")
    with pytest.raises(grpc.RpcError) as err:
        audio.CreateTranscription(unknown, metadata=bearer(token), timeout=TIMEOUT)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND

"""The media services from Node's @grpc/grpc-js, on the .proto files alone: embeddings,
images, moderations, speech (a server stream), transcription (a client stream) and the
media catalogue, each checked against what the REST surface answers for the same input.

Needs Node (see ``tests/node_client.py``).
"""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI

from tests.node_client import run_node_client
from tests.stack import Stack


def _wav(path: Path, seconds: float = 1.5, rate: int = 16_000) -> Path:
    """A real WAV file: a rising 16-bit mono ramp."""
    frames = int(seconds * rate)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(
            b"".join(
                ((i * 37) % 65536 - 32768).to_bytes(2, "little", signed=True) for i in range(frames)
            )
        )
    return path


@pytest.fixture(scope="module")
def wav_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _wav(tmp_path_factory.mktemp("node-media") / "ramp.wav")


@pytest.fixture(scope="module")
def node_media(node_available: None, stack: Stack, token: str, wav_file: Path) -> dict[str, Any]:
    return run_node_client("media_client.mjs", stack.grpc_target, token, str(wav_file))


@pytest.fixture(scope="module")
def client(stack: Stack, token: str) -> OpenAI:
    return OpenAI(base_url=stack.base_url, api_key=token)


def test_embeddings(node_media: dict[str, Any], client: OpenAI) -> None:
    r = node_media
    assert (r["embedding_model"], r["embedding_count"]) == ("text-embedding-3-small", 2)
    assert r["embedding_dims"] == [1536, 1536]
    assert r["embedding_provider"] == "openai"
    assert r["embedding_prompt_tokens"] > 0
    rest = client.embeddings.create(model="agent/embed", input="alpha", encoding_format="float")
    assert r["embedding_first"] == pytest.approx(rest.data[0].embedding[:4], rel=1e-6)


def test_images_and_moderations(node_media: dict[str, Any]) -> None:
    r = node_media
    assert r["image_png_signature"] == "89504e470d0a1a0a"
    assert r["image_provider"] == "openai"
    assert r["image_cost_usd"] == pytest.approx(0.02)  # dall-e-2, one 1024x1024 image
    assert r["moderation_model"].startswith("omni-moderation")
    assert r["moderation_flagged"] == [False, True]


def test_speech_server_stream(node_media: dict[str, Any]) -> None:
    r = node_media
    assert (r["speech_riff"], r["speech_wave"]) == ("RIFF", "WAVE")
    assert r["speech_content_type"] == "audio/wav"
    assert r["speech_messages"] >= 1 and r["speech_bytes"] > 44


def test_transcription_client_stream(
    node_media: dict[str, Any], client: OpenAI, wav_file: Path
) -> None:
    r = node_media
    assert r["transcript_content_type"].startswith("application/json")
    assert r["transcript_duration"] == pytest.approx(1.5)
    rest = client.audio.transcriptions.create(
        model="whisper-1", file=(wav_file.name, io.BytesIO(wav_file.read_bytes()), "audio/wav")
    )
    assert r["transcript_text"] == rest.text


def test_media_catalogue_and_errors(node_media: dict[str, Any]) -> None:
    r = node_media
    assert {"openai/tts-1", "openai/tts-1-hd"} <= set(r["media_tts_ids"])
    assert (r["error_code_name"], r["error_detail_code"]) == ("NOT_FOUND", "model_not_found")

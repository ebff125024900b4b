"""Which keys serve audio: without a key for a provider that serves the call, 503
``no_openai_key`` (media.md); transcriptions pool OpenAI's and Groq's Whisper keys.

A gateway of its own, with no demo keys: only the keys a test adds can serve.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_audio_sdk import make_wav
from tests.stack import Stack, make_settings


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = make_settings(Path(tmp_path_factory.mktemp("audio-keys")))
    s = Stack(settings).start(demo=False)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def agent(bare: Stack) -> str:
    view, _ = bare.core.identity.create_brand("audio-keys")
    _, token = bare.core.identity.mint_token(view.client_id, "agent", None)
    return str(token)


def _speech(stack: Stack, token: str) -> httpx.Response:
    return httpx.post(
        stack.base_url + "/audio/speech",
        json={"model": "tts-1", "voice": "alloy", "input": "hello", "response_format": "wav"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _transcribe(stack: Stack, token: str, model: str = "whisper-1") -> httpx.Response:
    return httpx.post(
        stack.base_url + "/audio/transcriptions",
        data={"model": model},
        files={"file": ("a.wav", make_wav(1.0), "audio/wav")},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_no_key_is_503_no_openai_key(bare: Stack, agent: str) -> None:
    for r in (_speech(bare, agent), _transcribe(bare, agent)):
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "no_openai_key"
    assert bare.mock.state.total == 0  # refused before any provider was called


def test_transcription_pools_openai_and_groq_keys(bare: Stack, agent: str) -> None:
    view = bare.core.key_store.add_key("groq", "gsk-only-groq", base_url=bare.mock.url + "/groq/v1")
    bare.run(bare.core.refresh())
    try:
        r = _transcribe(bare, agent)  # whisper-1 asked for; Groq's Whisper serves it
        assert r.status_code == 200, r.text
        assert r.headers["x-spidergate-provider"] == "groq"
        assert r.headers["x-spidergate-model"] == "whisper-large-v3-turbo"
        assert r.json()["text"]
        # Speech has no Groq model: still no key for it.
        r = _speech(bare, agent)
        assert r.status_code == 503 and r.json()["error"]["code"] == "no_openai_key"
    finally:
        bare.core.key_store.deactivate(view.id, view.client_id)
        bare.run(bare.core.refresh())

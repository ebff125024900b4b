"""Speech, transcription and translation through the official openai SDK, against the real
bridge, core and mock provider; failover of both on a 429; no key -> 503."""

from __future__ import annotations

import io
import json
import math
import struct
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import OpenAI
from openai.types.audio import Transcription, TranscriptionVerbose, Translation

from gate_service.auth.principal import TokenControls
from tests.stack import Stack

SPEECH_TEXT = "The quick brown fox jumps over the lazy dog."
MOCK_MS_PER_CHAR = 60  # mock_provider/formats/openai_audio.py


@pytest.fixture(scope="module")
def client(stack: Stack, token: str) -> OpenAI:
    return OpenAI(base_url=stack.base_url, api_key=token, max_retries=0)


@pytest.fixture(scope="module")
def limited(stack: Stack, brand: tuple[str, str]) -> str:
    """A token with a request limit: its answers carry ``X-RateLimit-*``."""
    controls = TokenControls(rpm=10_000)
    _, token = stack.core.identity.mint_token(brand[0], "audio-limited", None, controls)
    return str(token)


@pytest.fixture(autouse=True)
def clean(stack: Stack) -> Iterator[None]:
    stack.core.router.health.clear()
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    yield
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    stack.core.router.health.clear()


def fault(stack: Stack, **rule: object) -> None:
    httpx.post(stack.mock.url + "/__mock/faults", json=rule).raise_for_status()


def make_wav(seconds: float, rate: int = 8000, pitch: float = 330.0) -> bytes:
    """A real mono 16-bit WAV of a tone (``pitch`` changes the bytes, so the text)."""
    frames = int(seconds * rate)
    samples = [int(6000 * math.sin(2 * math.pi * pitch * i / rate)) for i in range(frames)]
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{frames}h", *samples))
    return out.getvalue()


@pytest.fixture(scope="module")
def wav_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audio") / "hello.wav"
    path.write_bytes(make_wav(3.5))
    return path


# ------------------------------------------------------------------ speech


def test_speech_streams_a_valid_wav_whose_length_follows_the_text(
    stack: Stack, limited: str, tmp_path: Path
) -> None:
    out = tmp_path / "speech.wav"
    client = OpenAI(base_url=stack.base_url, api_key=limited, max_retries=0)
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input=SPEECH_TEXT, response_format="wav"
    ) as response:
        assert response.headers["content-type"] == "audio/wav"
        assert response.headers["x-spidergate-provider"] == "openai"
        assert response.headers["x-spidergate-model"] == "tts-1"
        # tts-1 is priced per character (catalog: 0.000015 USD).
        cost = float(response.headers["x-spidergate-cost-usd"])
        assert cost == pytest.approx(len(SPEECH_TEXT) * 0.000015)
        assert "x-ratelimit-limit-requests" in response.headers
        response.stream_to_file(out)
    with wave.open(str(out), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
        seconds = w.getnframes() / w.getframerate()
    assert seconds == pytest.approx(len(SPEECH_TEXT) * MOCK_MS_PER_CHAR / 1000, abs=0.001)


def test_speech_of_a_longer_text_is_longer(client: OpenAI) -> None:
    lengths = []
    for text in ("Hi.", SPEECH_TEXT * 3):
        audio = client.audio.speech.create(
            model="tts-1-hd", voice="nova", input=text, response_format="wav"
        ).content
        with wave.open(io.BytesIO(audio), "rb") as w:
            lengths.append(w.getnframes())
    assert lengths[1] == lengths[0] * len(SPEECH_TEXT * 3) // 3


def test_speech_format_sets_the_content_type(client: OpenAI) -> None:
    audio = client.audio.speech.create(model="tts-1", voice="ballad", input="Hello there.")
    assert audio.response.headers["content-type"] == "audio/mpeg"  # the default, mp3
    assert audio.content[:4] == b"RIFF"  # the mock sends WAV bytes under any type


def test_speech_first_bytes_arrive_before_the_last_are_made(stack: Stack, token: str) -> None:
    # The mock paces its 16 KB chunks 150 ms apart: a gateway that buffered the answer
    # would deliver the first byte only once the last was made.
    fault(stack, kind="slow_stream", chunk_delay_ms=150, match={"model": "tts-1"})
    body = {"model": "tts-1", "voice": "alloy", "input": "x" * 60, "response_format": "wav"}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.stream(
        "POST", stack.base_url + "/audio/speech", json=body, headers=headers, timeout=30
    ) as r:
        assert r.status_code == 200
        chunks = r.iter_raw()
        first = next(chunks)
        t_first = time.monotonic()
        rest = b"".join(chunks)
        t_last = time.monotonic()
    total = len(first) + len(rest)
    assert total == 44 + 60 * 960 * 2  # 60 characters of 60 ms at 16 kHz
    assert (total - 1) // (16 * 1024) >= 7  # at least 8 chunks, 7 pauses
    assert t_last - t_first > 0.6  # the rest kept coming after the first bytes


def test_speech_errors_before_the_audio_are_json(stack: Stack, limited: str) -> None:
    token = limited
    r = httpx.post(
        stack.base_url + "/audio/speech",
        json={"model": "tts-1", "voice": "alloy", "input": "x" * 4097},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "input"
    assert "x-ratelimit-limit-requests" in r.headers
    r = httpx.post(stack.base_url + "/audio/speech", json={"model": "tts-1"})
    assert r.status_code == 401  # before the body's faults
    r = httpx.post(
        stack.base_url + "/audio/speech",
        json={"model": "gpt-4o-mini", "voice": "alloy", "input": "hi"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_qualifying_model"


def test_speech_fails_over_to_the_next_key_on_429(
    stack: Stack, client: OpenAI, add_key: Callable[..., Any]
) -> None:
    add_key("openai", "sk-second-openai-key", base_url=stack.mock.url + "/openai/v1")
    fault(stack, kind="error", status=429, times=1, match={"model": "tts-1"})
    # By sequence number: the mock keeps only its newest records, so on a shared stack
    # the record list may be full and no longer grow.
    before = stack.mock.state.total
    audio = client.audio.speech.create(
        model="tts-1", voice="alloy", input="Fail over.", response_format="wav"
    )
    assert audio.content[:4] == b"RIFF"
    keys = [r.key for r in list(stack.mock.state.records) if r.seq > before]
    assert len(keys) == 2 and keys[0] != keys[1]


# ------------------------------------------------------------------ transcription


def test_transcription_in_every_format(client: OpenAI, wav_file: Path) -> None:
    with wav_file.open("rb") as f:
        plain = client.audio.transcriptions.create(file=f, model="whisper-1")
    assert isinstance(plain, Transcription) and plain.text
    words = plain.text.rstrip(".").lower().split()
    assert 8 <= len(words) <= 15

    with wav_file.open("rb") as f:
        text = client.audio.transcriptions.create(file=f, model="whisper-1", response_format="text")
    assert isinstance(text, str) and text.strip() == plain.text

    with wav_file.open("rb") as f:
        srt = client.audio.transcriptions.create(file=f, model="whisper-1", response_format="srt")
    assert isinstance(srt, str) and srt.startswith("1\n00:00:00,000 --> ")

    with wav_file.open("rb") as f:
        vtt = client.audio.transcriptions.create(file=f, model="whisper-1", response_format="vtt")
    assert isinstance(vtt, str) and vtt.startswith("WEBVTT\n\n00:00:00.000 --> ")
    assert " ".join(line for line in vtt.splitlines()[2:] if line and "-->" not in line) == (
        plain.text.rstrip(".").lower()
    )

    with wav_file.open("rb") as f:
        verbose = client.audio.transcriptions.create(
            file=f,
            model="whisper-1",
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
            language="en",
        )
    assert isinstance(verbose, TranscriptionVerbose)
    assert verbose.text == plain.text
    assert verbose.duration == pytest.approx(3.5)  # the WAV header's
    assert verbose.language == "english"
    assert verbose.words is not None and [w.word for w in verbose.words] == words
    assert verbose.segments and verbose.segments[0].start == 0.0


def test_the_same_file_gives_the_same_text_another_file_another(
    client: OpenAI, wav_file: Path, tmp_path: Path
) -> None:
    texts = set()
    for _ in range(2):
        with wav_file.open("rb") as f:
            texts.add(client.audio.transcriptions.create(file=f, model="whisper-1").text)
    assert len(texts) == 1
    other = tmp_path / "other.wav"
    other.write_bytes(make_wav(3.5, pitch=523.0))
    with other.open("rb") as f:
        assert client.audio.transcriptions.create(file=f, model="whisper-1").text not in texts


def test_transcription_is_billed_by_the_audio_seconds(
    stack: Stack, token: str, wav_file: Path
) -> None:
    with wav_file.open("rb") as f:
        r = httpx.post(
            stack.base_url + "/audio/transcriptions",
            headers={"Authorization": f"Bearer {token}"},
            data={"model": "whisper-1", "response_format": "text"},
            files={"file": ("hello.wav", f, "audio/wav")},
        )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    # text answers say no duration: the WAV header's 3.5 s at whisper-1's 0.0001 USD/s.
    assert float(r.headers["x-spidergate-cost-usd"]) == pytest.approx(3.5 * 0.0001)
    sent = stack.mock.state.records[-1]
    assert sent.endpoint == "openai.audio.transcriptions"
    assert sent.body == {"model": "whisper-1", "response_format": "text"}


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # the SDK's own note
def test_translation(client: OpenAI, wav_file: Path) -> None:
    with wav_file.open("rb") as f:
        translated = client.audio.translations.create(file=f, model="whisper-1")
    assert isinstance(translated, Translation) and translated.text
    with wav_file.open("rb") as f:
        verbose = client.audio.translations.create(
            file=f, model="whisper-1", response_format="verbose_json"
        )
    assert verbose.text == translated.text
    assert json.loads(verbose.model_dump_json())["language"] == "english"


def test_groq_whisper_serves_transcriptions(client: OpenAI, stack: Stack, wav_file: Path) -> None:
    with wav_file.open("rb") as f:
        answer = client.audio.transcriptions.create(file=f, model="whisper-large-v3-turbo")
    assert answer.text
    assert stack.mock.state.records[-1].prefix == "/groq/v1"


def test_transcription_fails_over_on_429(stack: Stack, client: OpenAI, wav_file: Path) -> None:
    # whisper-1's only key is rate limited: Groq's Whisper (the pool) serves.
    fault(stack, kind="error", status=429, match={"model": "whisper-1"})
    with wav_file.open("rb") as f:
        raw = client.audio.transcriptions.with_raw_response.create(file=f, model="whisper-1")
    assert raw.headers["x-spidergate-provider"] == "groq"
    assert raw.headers["x-spidergate-model"] == "whisper-large-v3-turbo"
    assert raw.parse().text
    last = list(stack.mock.state.records)[-2:]
    assert [(r.prefix, r.model) for r in last] == [
        ("/openai/v1", "whisper-1"),
        ("/groq/v1", "whisper-large-v3-turbo"),
    ]


def test_upload_faults_answer_after_authentication(stack: Stack, limited: str) -> None:
    token = limited
    url = stack.base_url + "/audio/transcriptions"
    r = httpx.post(url, data={"model": "whisper-1"}, files={"file": ("a.wav", b"RIFF")})
    assert r.status_code == 401
    auth = {"Authorization": f"Bearer {token}"}
    r = httpx.post(url, data={"model": "whisper-1"}, headers=auth)
    assert r.status_code == 400 and r.json()["error"]["param"] == "file"
    assert "x-ratelimit-limit-requests" in r.headers
    r = httpx.post(
        url,
        headers={**auth, "content-type": "multipart/form-data; boundary=zz"},
        content=b"--zz\r\nnot a part",
    )
    assert r.status_code == 400 and r.json()["error"]["param"] == "file"
    r = httpx.post(
        url,
        data={"model": "whisper-1", "response_format": "mp3"},
        files={"file": ("a.wav", make_wav(0.5))},
        headers=auth,
    )
    assert r.status_code == 400 and r.json()["error"]["param"] == "response_format"


def test_failover_sends_a_file_spooled_to_disk_again_whole(
    stack: Stack, client: OpenAI, tmp_path: Path
) -> None:
    # Over the spool's 1 MB in memory: the second attempt reads the file from disk again.
    big = tmp_path / "long.wav"
    big.write_bytes(make_wav(80.0))
    fault(stack, kind="error", status=500, times=1, match={"model": "whisper-1"})
    with big.open("rb") as f:
        raw = client.audio.transcriptions.with_raw_response.create(
            file=f, model="whisper-1", response_format="verbose_json"
        )
    assert raw.headers["x-spidergate-provider"] == "groq"
    assert raw.parse().duration == pytest.approx(80.0)  # the whole file arrived


def test_speech_cut_after_its_first_bytes_cuts_the_download(stack: Stack, token: str) -> None:
    # The provider drops the connection after two chunks: the client must see a broken
    # download (the chunked body never ends), not a short file that looks whole.
    fault(stack, kind="stream_cut", after_chunks=2, match={"model": "tts-1-hd"})
    body = {"model": "tts-1-hd", "voice": "onyx", "input": "y" * 100, "response_format": "wav"}
    received = 0
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "POST",
            stack.base_url + "/audio/speech",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ) as r,
    ):
        assert r.status_code == 200
        for chunk in r.iter_raw():
            received += len(chunk)
    assert 0 < received < 44 + 100 * 960 * 2


def test_the_ledger_records_speech_and_transcriptions_by_kind(
    stack: Stack, limited: str, wav_file: Path
) -> None:
    client = OpenAI(base_url=stack.base_url, api_key=limited, max_retries=0)
    client.audio.speech.create(model="tts-1", voice="echo", input="Ledger.")
    with wav_file.open("rb") as f:
        client.audio.transcriptions.create(file=f, model="whisper-1")
    assert stack.run(stack.core.ledger.flush())
    headers = {"Authorization": f"Bearer {limited}"}
    for kind, model in (("speech", "tts-1"), ("transcription", "whisper-1")):
        r = httpx.get(stack.base_url + f"/traces?kind={kind}", headers=headers)
        assert r.status_code == 200, r.text
        traces = r.json()["data"]
        assert traces and {t["kind"] for t in traces} == {kind}
        assert traces[0]["cost_usd"] > 0, traces[0]
        assert model in json.dumps(traces[0])

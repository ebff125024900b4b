"""The billing rule of transcriptions (gate_service/audio/duration.py)."""

from __future__ import annotations

import pytest

from gate_service.audio.duration import (
    answer_seconds,
    billed_seconds,
    bound_seconds,
    wav_seconds,
)
from tests.e2e.test_audio_sdk import make_wav
from tests.e2e.test_audio_upload import wav_of_size


def test_a_wav_header_gives_the_exact_duration() -> None:
    wav = make_wav(2.5, rate=8000)
    assert wav_seconds(wav[:4096], len(wav)) == pytest.approx(2.5)
    big = wav_of_size(320_044)  # 16 kHz, 16-bit: 10 s
    assert wav_seconds(big[:4096], len(big)) == pytest.approx(10.0)


def test_a_data_size_beyond_the_file_is_measured_by_the_file() -> None:
    wav = bytearray(make_wav(1.0, rate=8000))
    wav[40:44] = (0xFFFFFFFF).to_bytes(4, "little")  # a streamed WAV's placeholder
    assert wav_seconds(bytes(wav[:4096]), len(wav)) == pytest.approx(1.0)


@pytest.mark.parametrize("head", [b"", b"ID3\x04" + b"\0" * 100, b"RIFF\0\0\0\0AVI "])
def test_anything_else_is_no_wav(head: bytes) -> None:
    assert wav_seconds(head, 10_000) is None


def test_the_provider_count_comes_first() -> None:
    assert answer_seconds({"text": "x", "usage": {"type": "duration", "seconds": 7}}) == 7.0
    assert answer_seconds({"text": "x", "duration": 3.25}) == 3.25
    assert answer_seconds({"text": "x", "usage": {"type": "tokens", "input_tokens": 9}}) is None
    assert answer_seconds({"text": "x", "duration": True}) is None
    assert answer_seconds(["not", "an", "object"]) is None
    wav = make_wav(2.0, rate=8000)
    assert billed_seconds(5.0, wav[:4096], len(wav)) == 5.0
    assert billed_seconds(None, wav[:4096], len(wav)) == pytest.approx(2.0)
    # Neither: 16 KB a second, at least one.
    assert billed_seconds(None, b"ID3", 160_000) == 10.0
    assert billed_seconds(None, b"ID3", 100) == 1.0


def test_the_reservation_bound_is_never_below_the_bill() -> None:
    wav = make_wav(2.4, rate=8000)
    assert bound_seconds(wav[:4096], len(wav)) >= billed_seconds(None, wav[:4096], len(wav))
    for size in (100, 16_000, 5_000_000):
        assert bound_seconds(b"ID3", size) >= billed_seconds(None, b"ID3", size)

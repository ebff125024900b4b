"""The mock's OpenAI /audio/speech, /audio/transcriptions and /audio/translations endpoints.

**Speech** answers a real WAV (RIFF, 16-bit PCM, mono, 16 kHz) of :data:`MS_PER_CHAR` ms
of tone per input character, streamed in :data:`SPEECH_CHUNK` pieces (chunked transfer),
so a client can check both the audio and that it arrived as a stream. Other formats get
the same WAV bytes under their own content type (``audio/mpeg`` for mp3...): the mock
encodes nothing.

**Transcription** reads the uploaded file as it streams in (never whole: the mock also
serves 25 MB uploads) and answers text chosen by hashing the file's bytes, so the same
file always gets the same text and different files different texts. The duration is the
WAV header's when the file is a WAV, else the size at 16 KB a second. Every
``response_format``: json (``text`` and ``usage`` in seconds, as whisper-1 answers),
text, srt, vtt, verbose_json (``language``, ``duration``, ``segments``, and ``words``
when ``timestamp_granularities[]`` asks for them). Translations answer the same, in
English.

Faults: ``error``, ``reset`` and ``delay`` act in the dispatcher as for chat; speech
honours the stream kinds (``slow_stream`` paces its chunks, ``stream_cut`` and
``malformed_sse`` cut it), a transcription the ones a JSON answer does.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
from typing import Any

import orjson
from aiohttp import web

from mock_provider.formats.answer import json_answer, stream_answer
from mock_provider.formats.base import Call, Endpoint
from mock_provider.formats.form import file_part

RATE = 16_000
MS_PER_CHAR = 60
SPEECH_CHUNK = 16 * 1024
_CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
_WORDS = [
    "amber",
    "river",
    "quiet",
    "signal",
    "north",
    "harbor",
    "violet",
    "engine",
    "lantern",
    "meadow",
    "copper",
    "falcon",
    "silver",
    "orchard",
    "thunder",
    "pocket",
    "marble",
    "window",
    "garden",
    "rocket",
    "velvet",
    "canyon",
    "winter",
    "candle",
    "shadow",
    "mirror",
    "planet",
    "island",
    "forest",
    "bridge",
    "whisper",
    "summer",
]
_SEGMENT_WORDS = 4
_WORD_S = 0.4  # seconds a word lasts in the timestamps


def endpoints(fmt: Any) -> list[Endpoint]:
    """The endpoints this module serves for the OpenAI format ``fmt``."""
    return [
        Endpoint("openai.audio.speech", "POST", "/audio/speech", _speech(fmt), fmt),
        Endpoint(
            "openai.audio.transcriptions",
            "POST",
            "/audio/transcriptions",
            _transcription(fmt, translate=False),
            fmt,
        ),
        Endpoint(
            "openai.audio.translations",
            "POST",
            "/audio/translations",
            _transcription(fmt, translate=True),
            fmt,
        ),
    ]


# ------------------------------------------------------------------ speech


def wav_header(frames: int, rate: int = RATE) -> bytes:
    """A 44-byte RIFF header of 16-bit mono PCM with ``frames`` samples."""
    data = frames * 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data)
        + b"WAVE"
        + struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data)
    )


def _tone(frames: int) -> bytes:
    """A 440 Hz tone, one period built once and repeated."""
    period = [int(8000 * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(RATE // 40)]
    one = struct.pack(f"<{len(period)}h", *period)
    reps = -(-frames // len(period))
    return (one * reps)[: frames * 2]


def speech_wav(text: str) -> bytes:
    frames = RATE * MS_PER_CHAR * len(text) // 1000
    return wav_header(frames) + _tone(frames)


def _speech(fmt: Any) -> Any:
    async def speech(call: Call) -> web.StreamResponse:
        body = call.body
        if call.invalid_json or not isinstance(body, dict):
            return fmt.error(400, "The request body must be a JSON object.")
        for name in ("model", "input", "voice"):
            if not isinstance(body.get(name), str) or not body[name]:
                return fmt.error(400, f"Missing required parameter: '{name}'.", param=name)
        audio_format = body.get("response_format") or "mp3"
        content_type = _CONTENT_TYPES.get(audio_format)
        if content_type is None:
            return fmt.error(400, "Invalid response_format.", param="response_format")
        audio = speech_wav(body["input"])
        chunks = [audio[i : i + SPEECH_CHUNK] for i in range(0, len(audio), SPEECH_CHUNK)]
        headers = _headers(fmt)
        return await stream_answer(
            call, chunks, headers, malformed=b"\x00garbage", content_type=content_type, charset=None
        )

    return speech


def _headers(fmt: Any) -> dict[str, str]:
    # Imported here: mock_provider.formats.openai imports this module for its endpoints.
    from mock_provider.formats.openai import response_headers

    return response_headers(os.urandom(10).hex())


# ------------------------------------------------------------------ transcription


def wav_seconds(head: bytes, size: int) -> float | None:
    """The duration a PCM WAV header gives (None when ``head`` is no WAV)."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, byte_rate = 12, 0
    while pos + 8 <= len(head):
        chunk_id, chunk_size = struct.unpack_from("<4sI", head, pos)
        if chunk_id == b"fmt " and pos + 20 <= len(head):
            byte_rate = struct.unpack_from("<I", head, pos + 16)[0]
        elif chunk_id == b"data":
            return min(chunk_size, max(size - pos - 8, 0)) / byte_rate if byte_rate else None
        pos += 8 + chunk_size + (chunk_size & 1)
    return None


def transcript_words(digest: bytes) -> list[str]:
    """Eight to fifteen words picked by the file's hash."""
    count = 8 + digest[0] % 8
    return [_WORDS[digest[1 + i] % len(_WORDS)] for i in range(count)]


def _stamp(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _segments(words: list[str], duration: float) -> list[dict[str, Any]]:
    step = min(_WORD_S, duration / max(len(words), 1))
    out: list[dict[str, Any]] = []
    for i in range(0, len(words), _SEGMENT_WORDS):
        group = words[i : i + _SEGMENT_WORDS]
        out.append(
            {
                "id": len(out),
                "seek": 0,
                "start": round(i * step, 3),
                "end": round((i + len(group)) * step, 3),
                "text": " " + " ".join(group),
                "tokens": [50364 + i + k for k in range(len(group))],
                "temperature": 0.0,
                "avg_logprob": -0.25,
                "compression_ratio": 1.2,
                "no_speech_prob": 0.01,
            }
        )
    return out


def render(
    words: list[str],
    duration: float,
    fmt: str,
    language: str,
    granularities: list[str],
    task: str,
) -> tuple[bytes, str]:
    """The answer body and its content type for ``response_format`` ``fmt``."""
    text = " ".join(words).capitalize() + "."
    segments = _segments(words, duration)
    usage = {"type": "duration", "seconds": math.ceil(duration)}
    if fmt == "json":
        return orjson.dumps({"text": text, "usage": usage}), "application/json"
    if fmt == "text":
        return (text + "\n").encode(), "text/plain"
    if fmt in ("srt", "vtt"):
        sep = "," if fmt == "srt" else "."
        lines = [] if fmt == "srt" else ["WEBVTT", ""]
        for seg in segments:
            if fmt == "srt":
                lines.append(str(seg["id"] + 1))
            lines.append(f"{_stamp(seg['start'], sep)} --> {_stamp(seg['end'], sep)}")
            lines.extend([seg["text"].strip(), ""])
        return ("\n".join(lines) + "\n").encode(), "text/plain"
    answer: dict[str, Any] = {
        "task": task,
        "language": language,
        "duration": round(duration, 3),
        "text": text,
        "segments": segments if "segment" in granularities or not granularities else [],
        "usage": usage,
    }
    if "word" in granularities:
        step = min(_WORD_S, duration / max(len(words), 1))
        answer["words"] = [
            {"word": w, "start": round(i * step, 3), "end": round((i + 1) * step, 3)}
            for i, w in enumerate(words)
        ]
    return orjson.dumps(answer), "application/json"


def _transcription(fmt: Any, *, translate: bool) -> Any:
    async def transcription(call: Call) -> web.StreamResponse:
        fields = call.body if isinstance(call.body, dict) else {}
        if not isinstance(fields.get("model"), str) or not fields["model"]:
            return fmt.error(400, "Missing required parameter: 'model'.", param="model")
        part = file_part(call.request)
        if part is None:
            return fmt.error(400, "Missing required parameter: 'file'.", param="file")
        digest, head, size = hashlib.sha256(), b"", 0
        while chunk := await part.read_chunk(64 * 1024):
            digest.update(chunk)
            if len(head) < 4096:
                head += chunk[: 4096 - len(head)]
            size += len(chunk)
        if size == 0:
            return fmt.error(400, "The audio file is empty.", param="file")
        answer_format = fields.get("response_format") or "json"
        if answer_format not in ("json", "text", "srt", "vtt", "verbose_json"):
            return fmt.error(400, "Invalid response_format.", param="response_format")
        granularities = fields.get("timestamp_granularities[]", [])
        if isinstance(granularities, str):
            granularities = [granularities]
        duration = wav_seconds(head, size)
        if duration is None:
            duration = size / 16_000
        language = "english" if translate else _language(fields.get("language"))
        body, content_type = render(
            transcript_words(digest.digest()),
            duration,
            answer_format,
            language,
            granularities,
            "translate" if translate else "transcribe",
        )
        charset = "utf-8" if content_type == "text/plain" else None
        return json_answer(call, body, _headers(fmt), content_type, charset)

    return transcription


def _language(code: Any) -> str:
    names = {"en": "english", "fr": "french", "de": "german", "es": "spanish"}
    return names.get(code, "english") if isinstance(code, str) else "english"

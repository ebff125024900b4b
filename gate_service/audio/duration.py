"""How many audio seconds a transcription is billed, and the bound reserved for it.

**The rule**, first that applies:

1. the provider's own count: ``usage.seconds`` (OpenAI's usage for duration-billed
   models) or ``duration`` (``verbose_json``; Groq's answers carry it as well);
2. the file's own duration, when it says it exactly: a WAV (RIFF) header gives the data
   chunk's size and the byte rate;
3. an estimate from the size at :data:`ESTIMATE_BYTES_PER_S` (16 KB a second: a 128 kbit/s
   MP3; compressed speech is usually smaller, so this errs high), never below one second.

**The reservation** (the budget reserved before the call) must not fall short: a file's
duration is bounded from its size at :data:`BOUND_BYTES_PER_S` (1 KB a second: 8 kbit/s,
below any speech codec OpenAI accepts at a usable quality), and by the WAV header when
there is one.
"""

from __future__ import annotations

import math
import struct
from typing import Any

ESTIMATE_BYTES_PER_S = 16_000
BOUND_BYTES_PER_S = 1_000
WAV_HEAD_BYTES = 4096  # enough for the RIFF header and the chunks before "data"


def wav_seconds(head: bytes, size: int) -> float | None:
    """The duration of a PCM WAV whose first bytes are ``head`` and whole size ``size``,
    or None when it is no WAV. A data chunk that claims more than the file holds (a
    streamed WAV's placeholder size) is measured by what the file holds."""
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, byte_rate = 12, 0
    while pos + 8 <= len(head):
        chunk_id, chunk_size = struct.unpack_from("<4sI", head, pos)
        body = pos + 8
        if chunk_id == b"fmt " and body + 12 <= len(head):
            byte_rate = struct.unpack_from("<I", head, body + 8)[0]
        elif chunk_id == b"data":
            if not byte_rate:
                return None
            return min(chunk_size, max(size - body, 0)) / byte_rate
        pos = body + chunk_size + (chunk_size & 1)
    return None


def answer_seconds(answer: Any) -> float | None:
    """The seconds the provider says it transcribed, if its JSON answer says."""
    if not isinstance(answer, dict):
        return None
    usage = answer.get("usage")
    if isinstance(usage, dict) and usage.get("type") == "duration":
        seconds = _seconds(usage.get("seconds"))
        if seconds is not None:
            return seconds
    return _seconds(answer.get("duration"))


def _seconds(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def billed_seconds(answered: float | None, head: bytes, size: int) -> float:
    """The rule above: the provider's count, else the WAV header, else the estimate."""
    if answered is not None:
        return answered
    exact = wav_seconds(head, size)
    if exact is not None:
        return exact
    return max(1.0, size / ESTIMATE_BYTES_PER_S)


def bound_seconds(head: bytes, size: int) -> float:
    """A generous bound on the file's duration (the budget reservation)."""
    exact = wav_seconds(head, size)
    if exact is not None:
        return math.ceil(exact) + 1.0  # providers round up to the second
    return max(1.0, size / BOUND_BYTES_PER_S)

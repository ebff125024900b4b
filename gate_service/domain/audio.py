"""Speech and transcription as the core works with them: the typed requests (built once
from the proto at the servicer) and the transcription's answer.

The audio itself is not here: speech's answer is a stream of bytes, and an uploaded file
is spooled (:class:`gate_service.audio.spool.AudioSpool`) beside the request, never held
in a field of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gate_service.domain.request import Json

SPEECH_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
TRANSCRIPT_FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
MAX_SPEECH_INPUT = 4096

# What each speech format is served as (OpenAI's own content types).
SPEECH_CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}


@dataclass(slots=True)
class SpeechRequest:
    """``POST /audio/speech``: ``voice`` is any string (unknown voices go upstream)."""

    model: str
    input: str
    voice: str
    speed: float | None = None
    response_format: str = ""  # "" is the provider's default, mp3
    instructions: str = ""
    extra: Json = field(default_factory=dict)

    @property
    def audio_format(self) -> str:
        return self.response_format or "mp3"

    @property
    def content_type(self) -> str:
        return SPEECH_CONTENT_TYPES.get(self.audio_format, "application/octet-stream")


@dataclass(slots=True)
class TranscriptionRequest:
    """``POST /audio/transcriptions`` (or ``/translations`` when ``translate``): the
    form's fields. ``extra`` holds fields this type does not model (strings, or lists
    of strings for repeated fields), passed upstream as they came."""

    model: str
    filename: str = "audio"
    content_type: str = ""
    language: str = ""
    prompt: str = ""
    response_format: str = ""  # "" is the provider's default, json
    temperature: float | None = None
    timestamp_granularities: list[str] = field(default_factory=list)
    extra: Json = field(default_factory=dict)
    translate: bool = False

    @property
    def answer_format(self) -> str:
        return self.response_format or "json"


@dataclass(frozen=True, slots=True)
class Transcript:
    """The provider's answer, as the client asked for it: JSON text (json,
    verbose_json) or plain text (text, srt, vtt), and the audio seconds it is billed."""

    body: bytes
    content_type: str
    audio_seconds: float

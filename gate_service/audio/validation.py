"""The checks of a speech or transcription request, after authentication: each a 400
naming the parameter, as chat's (``chat.validation``)."""

from __future__ import annotations

from gate_service.domain.audio import (
    MAX_SPEECH_INPUT,
    SPEECH_FORMATS,
    TRANSCRIPT_FORMATS,
    SpeechRequest,
    TranscriptionRequest,
)
from gate_service.errors import invalid

GRANULARITIES = ("word", "segment")


def validate_speech(request: SpeechRequest) -> None:
    if not request.model:
        raise invalid("'model' is required", "model")
    if not request.input:
        raise invalid("'input' is required", "input")
    if len(request.input) > MAX_SPEECH_INPUT:
        raise invalid(f"'input' is longer than {MAX_SPEECH_INPUT} characters", "input")
    if not request.voice:
        raise invalid("'voice' is required", "voice")
    if request.speed is not None and not 0.25 <= request.speed <= 4.0:
        raise invalid("'speed' must be between 0.25 and 4", "speed")
    if request.response_format and request.response_format not in SPEECH_FORMATS:
        raise invalid(
            f"'response_format' must be one of {', '.join(SPEECH_FORMATS)}", "response_format"
        )


def validate_transcription(request: TranscriptionRequest) -> None:
    if not request.model:
        raise invalid("'model' is required", "model")
    if request.response_format and request.response_format not in TRANSCRIPT_FORMATS:
        formats = ", ".join(TRANSCRIPT_FORMATS)
        raise invalid(f"'response_format' must be one of {formats}", "response_format")
    if request.temperature is not None and not 0.0 <= request.temperature <= 1.0:
        raise invalid("'temperature' must be between 0 and 1", "temperature")
    for granularity in request.timestamp_granularities:
        if granularity not in GRANULARITIES:
            raise invalid(
                "'timestamp_granularities[]' must be word or segment", "timestamp_granularities"
            )


def validate_upload(size: int) -> None:
    """An upload without a file (or an empty one) is the client's fault."""
    if size == 0:
        raise invalid("'file' is required and may not be empty", "file")

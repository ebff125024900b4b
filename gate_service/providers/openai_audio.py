"""OpenAI's audio wire (``/audio/speech``, ``/audio/transcriptions``,
``/audio/translations``), also spoken by Groq's OpenAI-compatible endpoint: the upstream
requests built from the domain requests, the answers read back, and the attempts the
failover runner makes of them.

Pure parts first (:func:`speech_body`, :func:`form_fields`, :func:`parse_transcript`),
then the attempts: :class:`SpeechCall` streams the audio bytes as they arrive, billed by
the input's characters (the provider bills them once it accepted the request, however
much audio the client reads); :class:`TranscriptionCall` posts the form with the file
streamed from its spool and is billed by audio seconds (the rule:
:mod:`gate_service.audio.duration`). Errors are classified by the format adapter the
runner passes in, as for chat.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass

import aiohttp
import orjson

from gate_service.audio.duration import WAV_HEAD_BYTES, answer_seconds, billed_seconds
from gate_service.audio.spool import AudioSpool
from gate_service.deadline import Deadline
from gate_service.domain import Usage
from gate_service.domain.audio import SpeechRequest, Transcript, TranscriptionRequest
from gate_service.providers.base import (
    FailureKind,
    Json,
    Target,
    UpstreamFailure,
    UpstreamRequest,
    WireAdapter,
)
from gate_service.providers.openai_compat import auth_headers
from gate_service.providers.transport import StreamResponse, open_stream, post
from gate_service.routing.runner import Reply

JSON_FORMATS = ("json", "verbose_json")
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"


# ------------------------------------------------------------------ pure wire code


def speech_body(target: Target, request: SpeechRequest) -> Json:
    """The JSON body of ``/audio/speech``: the client's fields (unknown ones too), the
    served model, and only what the client set (the provider's defaults otherwise)."""
    body: Json = {**request.extra, "model": target.model, "input": request.input}
    body["voice"] = request.voice
    if request.speed is not None:
        body["speed"] = request.speed
    if request.response_format:
        body["response_format"] = request.response_format
    if request.instructions:
        body["instructions"] = request.instructions
    return body


def speech_request(target: Target, request: SpeechRequest) -> UpstreamRequest:
    return UpstreamRequest(
        url=target.base_url.rstrip("/") + "/audio/speech",
        headers=auth_headers(target),
        body=orjson.dumps(speech_body(target, request)),
    )


def form_fields(target: Target, request: TranscriptionRequest) -> list[tuple[str, str]]:
    """The form's text fields, in OpenAI's spelling, with the served model."""
    fields = [("model", target.model)]
    for name in ("language", "prompt", "response_format"):
        value = getattr(request, name)
        if value:
            fields.append((name, value))
    if request.temperature is not None:
        fields.append(("temperature", repr(request.temperature)))
    fields.extend(("timestamp_granularities[]", g) for g in request.timestamp_granularities)
    for name, value in request.extra.items():
        values = value if isinstance(value, list) else [value]
        fields.extend((name, str(v)) for v in values)
    return fields


def transcription_url(target: Target, request: TranscriptionRequest) -> str:
    kind = "translations" if request.translate else "transcriptions"
    return f"{target.base_url.rstrip('/')}/audio/{kind}"


def upload_headers(target: Target) -> dict[str, str]:
    """The auth headers without the JSON content type (the form sets its own)."""
    headers = auth_headers(target)
    headers.pop("content-type", None)
    return headers


def build_form(
    target: Target, request: TranscriptionRequest, spool: AudioSpool
) -> aiohttp.MultipartWriter:
    """The multipart body, the file streamed from its spool when sent (one per attempt:
    each reads the file from its start)."""
    form = aiohttp.MultipartWriter("form-data")
    for name, value in form_fields(target, request):
        part = form.append(value, {"Content-Type": "text/plain; charset=utf-8"})
        part.set_content_disposition("form-data", name=name)
    part = form.append_payload(spool.payload(request.filename, request.content_type))
    part.set_content_disposition("form-data", name="file", filename=request.filename)
    return form


def parse_transcript(
    request: TranscriptionRequest, body: bytes, head: bytes, size: int
) -> Transcript:
    """The answer as the client asked for it, and the seconds it is billed: JSON for json
    and verbose_json (a body that is not JSON is the provider's fault: ``PROTOCOL``),
    the text as it came for text, srt and vtt."""
    if request.answer_format in JSON_FORMATS:
        try:
            answer = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise UpstreamFailure(FailureKind.PROTOCOL, 502, "malformed upstream answer") from exc
        if not isinstance(answer, dict) or not isinstance(answer.get("text"), str):
            raise UpstreamFailure(FailureKind.PROTOCOL, 502, "upstream answer has no text")
        seconds = billed_seconds(answer_seconds(answer), head, size)
        return Transcript(body, "application/json", seconds)
    return Transcript(body, TEXT_CONTENT_TYPE, billed_seconds(None, head, size))


# ------------------------------------------------------------------ attempts


@dataclass(frozen=True, slots=True)
class TranscriptionCall:
    """One attempt: post the form (the file streamed from the spool), read the answer."""

    session: aiohttp.ClientSession
    request: TranscriptionRequest
    spool: AudioSpool

    async def __call__(
        self, target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
    ) -> Reply[Transcript]:
        upstream = UpstreamRequest(
            transcription_url(target, self.request), upload_headers(target), b""
        )
        form = build_form(target, self.request, self.spool)
        resp = await post(self.session, upstream, timeout_s, deadline, payload=form)
        if resp.status >= 400:
            raise adapter.classify_error(resp.status, resp.headers, resp.body)
        spool = self.spool
        transcript = parse_transcript(
            self.request, resp.body, spool.head(WAV_HEAD_BYTES), spool.size
        )
        return Reply(transcript, resp.headers, Usage(audio_seconds=transcript.audio_seconds))


@dataclass(frozen=True, slots=True)
class SpeechCall:
    """One streaming attempt: open ``/audio/speech``; the audio bytes follow."""

    session: aiohttp.ClientSession
    request: SpeechRequest

    async def __call__(
        self, target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
    ) -> AudioStream:
        upstream = speech_request(target, self.request)
        resp = await open_stream(self.session, upstream, timeout_s, deadline)
        if resp.status >= 400:
            try:
                body = await resp.read_body()
            finally:
                resp.close()
            raise adapter.classify_error(resp.status, resp.headers, body)
        return AudioStream(resp, len(self.request.input), timeout_s, deadline)


class AudioStream:
    """Audio the provider accepted to make: its bytes as they come. Billed by the
    input's characters from the moment it was accepted (:meth:`usage`)."""

    def __init__(
        self, resp: StreamResponse, characters: int, idle_timeout_s: float, deadline: Deadline
    ) -> None:
        self._resp = resp
        self._characters = characters
        self._idle_timeout_s = idle_timeout_s
        self._deadline = deadline

    @property
    def headers(self) -> Mapping[str, str]:
        return self._resp.headers

    def usage(self) -> Usage:
        return Usage(characters=self._characters)

    def close(self) -> None:
        self._resp.close()

    async def items(self) -> AsyncGenerator[bytes]:
        """The bytes as they arrive; a stream that sent nothing is the provider's fault."""
        sent = False
        async for data in self._resp.chunks(self._idle_timeout_s, self._deadline):
            sent = True
            yield data
        if not sent:
            raise UpstreamFailure(FailureKind.PROTOCOL, 502, "the upstream sent no audio")

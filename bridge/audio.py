"""``POST /audio/speech`` (JSON in, audio streamed out), ``POST /audio/transcriptions``
and ``/audio/translations`` (a multipart upload in, JSON or text out).

**Speech** is answered as it is produced: the HTTP headers wait for the core's first
message (so an error before any audio is an ordinary JSON error), then each message's
bytes are written as they come, with the format's content type (``audio/mpeg``,
``audio/wav``...). A failure after the first bytes cuts the response (the chunked body
never ends), which a client reads as a broken download rather than a short file.

**Uploads** are parsed as they stream in (Starlette's form reader over python-multipart:
a file over 1 MB is spooled to disk, never held whole) under their own body bound
(``Settings.max_upload_bytes``, 26 MB: ``UPLOAD_PATHS`` tells :mod:`bridge.body`), then
sent to the core as a client stream: the form's fields, then the file in 256 KB chunks.
A form the bridge cannot read goes to the core as such (``form_error``), which answers
after authentication, as for any bad request.

Every success carries what served it: ``X-SpiderGate-Provider``, ``X-SpiderGate-Model``
and ``X-SpiderGate-Cost-Usd``, besides the token's ``X-RateLimit-*``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import grpc
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from bridge.body import read_json
from bridge.core_client import CoreClient
from bridge.openapi_operations import Op
from bridge.proto_schema import request_view
from bridge.responses import REQUEST_ID, call_metadata, request_id
from gate_service.domain.audio import SPEECH_CONTENT_TYPES
from gate_service.errors import GateError
from gate_service.proto_convert.audio import (
    form_to_params,
    speech_to_proto,
    untyped_form,
    untyped_speech,
)
from spidergate.v1 import audio_pb2

CHUNK_BYTES = 256 * 1024
UPLOAD_PATHS = ("/audio/transcriptions", "/audio/translations")


def _served(metadata: audio_pb2.AudioMetadata) -> dict[str, str]:
    if not metadata.provider:
        return {}
    return {
        "X-SpiderGate-Provider": metadata.provider,
        "X-SpiderGate-Model": metadata.model,
        "X-SpiderGate-Cost-Usd": f"{metadata.cost_usd:.10g}",
    }


# ------------------------------------------------------------------ speech


async def create_speech(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    rid = request_id(request)
    speech = await read_json(request, speech_to_proto, untyped_speech)
    call = core.audio.CreateSpeech(speech, metadata=call_metadata(request, rid))
    first = await call.read()  # a refusal before the first bytes is an ordinary error
    if first is grpc.aio.EOF:
        raise GateError("upstream_error", "The upstream ended the speech without any audio.")
    first = cast(audio_pb2.CreateSpeechResponse, first)
    headers = {**first.headers, **_served(first.metadata), REQUEST_ID: rid}
    return StreamingResponse(_audio(call, first), media_type=first.content_type, headers=headers)


async def _audio(call: Any, first: audio_pb2.CreateSpeechResponse) -> AsyncIterator[bytes]:
    try:
        yield first.audio
        while (message := await call.read()) is not grpc.aio.EOF:
            yield message.audio
    finally:
        # A disconnected client (or a failure, which cuts the body) lands here too.
        call.cancel()


# ------------------------------------------------------------------ uploads


async def create_transcription(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    return await _upload(
        request, core.audio.CreateTranscription, audio_pb2.CreateTranscriptionRequest
    )


async def create_translation(request: Request) -> Response:
    core: CoreClient = request.app.state.core
    return await _upload(request, core.audio.CreateTranslation, audio_pb2.CreateTranslationRequest)


async def _upload(request: Request, method: Callable[..., Any], part: type[Any]) -> Response:
    """Read the form as it streams in and send it to the core's ``method`` as a stream of
    ``part`` messages (the parameters, then the file in chunks)."""
    rid = request_id(request)
    metadata = call_metadata(request, rid)
    try:
        form = await request.form(max_files=1, max_fields=100)
    except HTTPException as exc:  # python-multipart could not read it: the core says so
        params = untyped_form(str(exc.detail))
        reply = await method(_uploads(part, params, None), metadata=metadata)
        return _transcript(reply, rid)
    try:
        file = form.get("file")
        upload = file if isinstance(file, UploadFile) else None
        fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        params = form_to_params(
            fields,
            (upload.filename if upload else None) or "audio",
            (upload.content_type if upload else None) or "",
        )
        reply = await method(_uploads(part, params, upload), metadata=metadata)
    finally:
        await form.close()  # the spooled file is deleted
    return _transcript(reply, rid)


async def _uploads(
    part: type[Any], params: audio_pb2.TranscriptionParams, file: UploadFile | None
) -> AsyncIterator[Any]:
    """The client stream: the parameters, then the file in chunks as they are read."""
    yield part(params=params)
    if file is None:
        return
    await file.seek(0)
    while chunk := await file.read(CHUNK_BYTES):
        yield part(chunk=chunk)


def _transcript(
    reply: audio_pb2.CreateTranscriptionResponse | audio_pb2.CreateTranslationResponse, rid: str
) -> Response:
    headers = {**reply.headers, **_served(reply.metadata), REQUEST_ID: rid}
    answer = reply.transcript
    return Response(answer.body, media_type=answer.content_type, headers=headers)


ROUTES = [
    Route("/audio/speech", create_speech, methods=["POST"]),
    Route("/audio/transcriptions", create_transcription, methods=["POST"]),
    Route("/audio/translations", create_translation, methods=["POST"]),
]

_AUDIO_ERRORS = (
    *("budget_exceeded", "model_not_allowed", "model_not_found", "no_qualifying_model"),
    *("rate_limit_exceeded", "daily_rate_limit_exceeded", "upstream_error"),
    *("all_providers_failed", "service_unavailable", "no_openai_key", "upstream_timeout"),
)
_UPLOAD = (
    "A multipart/form-data upload: `file` (at most 25 MB), `model`, `language`, `prompt`, "
    "`response_format` (json, text, srt, vtt, verbose_json), `temperature`, "
    "`timestamp_granularities[]`. json and verbose_json are answered as JSON, text, srt "
    "and vtt as text/plain. `whisper-1` and Groq's `whisper-large-v3-turbo` pool their "
    "keys for transcriptions."
)
_TRANSCRIPT = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}


def OPERATIONS() -> dict[Callable[..., Any], Op]:
    """The OpenAPI entries of these routes."""
    speech_body = request_view(audio_pb2.CreateSpeechRequest, required=("model", "input", "voice"))
    audio_answer = {"type": "string", "format": "binary", "description": "the audio bytes"}
    audio_media = tuple((media, audio_answer) for media in SPEECH_CONTENT_TYPES.values())
    transcript_media = (("application/json", None), ("text/plain", {"type": "string"}))
    upload_errors = (*_AUDIO_ERRORS, "invalid_request", "request_too_large")
    return {
        create_speech: Op(
            "Speak text: the audio streamed as it is made (audio/mpeg, audio/wav, ...)",
            "audio",
            audio_answer,
            scope="gate:chat",
            body=speech_body,
            errors=_AUDIO_ERRORS,
            media=audio_media,
        ),
        create_transcription: Op(
            "Transcribe an audio file",
            "audio",
            _TRANSCRIPT,
            scope="gate:chat",
            errors=upload_errors,
            description=_UPLOAD,
            media=transcript_media,
        ),
        create_translation: Op(
            "Translate an audio file into English text",
            "audio",
            _TRANSCRIPT,
            scope="gate:chat",
            errors=upload_errors,
            description=_UPLOAD,
            media=transcript_media,
        ),
    }

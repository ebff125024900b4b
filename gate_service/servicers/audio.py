"""AudioService: speech (a server stream of audio bytes) and transcription / translation
(a client stream: the parameters, then the file in chunks).

Authentication comes first, then the typed request and its checks (a 400 after the 401,
with the token's limits), then the audio service (:mod:`gate_service.audio.service`).
An upload is spooled as it arrives (:class:`~gate_service.audio.spool.AudioSpool`: in
memory up to 1 MB, then a temporary file) and streamed from there to the provider, so a
25 MB file is never held whole in memory, let alone twice; the spool is closed (its file
deleted) however the call ends. The request's deadline starts once the upload is in:
a slow client's upload does not eat the time its routing has.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from gate_service.audio.spool import AudioSpool
from gate_service.audio.validation import (
    validate_speech,
    validate_transcription,
    validate_upload,
)
from gate_service.core import Core
from gate_service.domain.audio import TranscriptionRequest
from gate_service.errors import GateError, invalid
from gate_service.proto_convert.audio import (
    metadata_to_proto,
    params_from_proto,
    speech_from_proto,
)
from gate_service.servicers.common import (
    authenticate,
    caller,
    request_context,
    require_scope,
    streaming,
    unary,
)
from spidergate.v1 import audio_pb2, audio_pb2_grpc

SCOPE = "gate:chat"


class AudioServicer(audio_pb2_grpc.AudioServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core

    @streaming
    async def CreateSpeech(
        self, request: audio_pb2.CreateSpeechRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[audio_pb2.CreateSpeechResponse]:
        core = self._core
        principal = await caller(core, context)
        try:
            require_scope(principal, SCOPE)
            speech = speech_from_proto(request)
            validate_speech(speech)
        except GateError as exc:
            await core.pipeline.report_limits(principal, exc)
            raise
        ctx = request_context(core, principal, context)
        async for head, audio in core.audio.speech(principal, ctx, speech):
            if head is None:
                yield audio_pb2.CreateSpeechResponse(audio=audio)
                continue
            yield audio_pb2.CreateSpeechResponse(
                audio=audio,
                headers=head.headers,
                content_type=head.content_type,
                metadata=metadata_to_proto(head.outcome, ctx.request_id),
            )

    @unary
    async def CreateTranscription(
        self,
        request_iterator: AsyncIterator[audio_pb2.CreateTranscriptionRequest],
        context: grpc.aio.ServicerContext,
    ) -> audio_pb2.CreateTranscriptionResponse:
        transcript, headers, metadata = await self._transcribe(
            request_iterator, context, translate=False
        )
        return audio_pb2.CreateTranscriptionResponse(
            transcript=transcript, headers=headers, metadata=metadata
        )

    @unary
    async def CreateTranslation(
        self,
        request_iterator: AsyncIterator[audio_pb2.CreateTranslationRequest],
        context: grpc.aio.ServicerContext,
    ) -> audio_pb2.CreateTranslationResponse:
        transcript, headers, metadata = await self._transcribe(
            request_iterator, context, translate=True
        )
        return audio_pb2.CreateTranslationResponse(
            transcript=transcript, headers=headers, metadata=metadata
        )

    async def _transcribe(
        self,
        uploads: AsyncIterator[Upload],
        context: grpc.aio.ServicerContext,
        *,
        translate: bool,
    ) -> tuple[audio_pb2.Transcript, dict[str, str], audio_pb2.AudioMetadata]:
        core = self._core
        principal = await authenticate(core, context, SCOPE)
        uploads = aiter(uploads)  # grpc hands over an async iterable
        spool = AudioSpool()
        try:
            try:
                request = await _read_params(uploads, translate)
                validate_transcription(request)
                await _spool(uploads, spool)
                validate_upload(spool.size)
            except GateError as exc:
                await core.pipeline.report_limits(principal, exc)
                raise
            ctx = request_context(core, principal, context)
            transcript, headers, outcome = await core.audio.transcribe(
                principal, ctx, request, spool
            )
        finally:
            spool.close()
        answer = audio_pb2.Transcript(body=transcript.body, content_type=transcript.content_type)
        return answer, headers, metadata_to_proto(outcome, ctx.request_id)


# The two uploads' messages have the same parts (params, then chunks).
Upload = audio_pb2.CreateTranscriptionRequest | audio_pb2.CreateTranslationRequest


async def _read_params(uploads: AsyncIterator[Upload], translate: bool) -> TranscriptionRequest:
    first = await anext(uploads, None)
    if first is None or first.WhichOneof("part") != "params":
        raise invalid("The first message of an upload must hold its parameters.", "params")
    return params_from_proto(first.params, translate=translate)


async def _spool(uploads: AsyncIterator[Upload], spool: AudioSpool) -> None:
    async for message in uploads:
        if message.WhichOneof("part") != "chunk":
            raise invalid("Only the first message of an upload holds parameters.", "params")
        spool.write(message.chunk)

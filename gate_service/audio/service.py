"""The audio service: what the audio servicer calls; only what is audio's own.

Each call is one :class:`~gate_service.pipeline.flight.Flight` (admission, settlement,
the ledger record with kind ``speech`` or ``transcription``); the runner fails over
between candidates and keys; this module says what each call needs of a candidate
(:func:`speech_needs`, :func:`transcription_needs`) and how its attempts are made
(:mod:`gate_service.providers.openai_audio`).

**Keys.** Only some providers serve audio, so a request whose candidates all lack a key
is a 503 ``no_openai_key`` (``key_required``), not a 422.

**Whisper's pool.** ``whisper-1`` (OpenAI) and ``whisper-large-v3-turbo`` (Groq's
OpenAI-compatible endpoint) are the same model family and take the same form, so a
transcription asking for either may be served by the other when its own provider has no
usable key or fails: transcription pools OpenAI's and Groq's keys. Translations do not
(Groq's turbo model does not translate).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import aiohttp

from gate_service.audio.duration import WAV_HEAD_BYTES, bound_seconds
from gate_service.audio.spool import AudioSpool
from gate_service.auth.principal import Principal
from gate_service.domain import Usage
from gate_service.domain.audio import SpeechRequest, Transcript, TranscriptionRequest
from gate_service.errors import GateError
from gate_service.pipeline import Pipeline
from gate_service.providers.openai_audio import SpeechCall, TranscriptionCall
from gate_service.routing.cost import cost_usd
from gate_service.routing.outcome import Outcome, RequestContext
from gate_service.routing.plan import Needs, Planned, key_required
from gate_service.routing.planning import worst_case_usd
from gate_service.routing.runner import Route

WHISPER_POOL = ("whisper-1", "whisper-large-v3-turbo")


@dataclass(frozen=True, slots=True)
class SpeechHead:
    """What goes with a speech stream's first bytes: the headers and what served."""

    headers: dict[str, str]
    outcome: Outcome
    content_type: str


def speech_needs(request: SpeechRequest) -> Needs:
    """A ``tts`` model, billed by the input's characters (known before the call)."""
    return Needs(
        model=request.model,
        capabilities=("tts",),
        characters=len(request.input),
        alias_kind="speech",
    )


def transcription_needs(request: TranscriptionRequest, spool: AudioSpool) -> Needs:
    """An ``stt`` model; the reservation bounds the file's duration from its size."""
    pool: tuple[str, ...] = ()
    if not request.translate and request.model in WHISPER_POOL:
        pool = tuple(m for m in WHISPER_POOL if m != request.model)
    return Needs(
        model=request.model,
        fallback_models=pool,
        capabilities=("stt",),
        audio_seconds=bound_seconds(spool.head(WAV_HEAD_BYTES), spool.size),
        alias_kind="transcription",
    )


class AudioService:
    def __init__(
        self, pipeline: Pipeline, session: aiohttp.ClientSession, *, default_timeout_s: float
    ) -> None:
        self.pipeline = pipeline
        self.planner = pipeline.router.planner
        self.session = session
        self.default_timeout_s = default_timeout_s

    def _prepare(self, ctx: RequestContext, needs: Needs) -> list[Planned]:
        try:
            return self.planner.prepare(ctx, needs)
        except GateError as exc:
            raise key_required(exc) from None

    async def speech(
        self, principal: Principal, ctx: RequestContext, request: SpeechRequest
    ) -> AsyncGenerator[tuple[SpeechHead | None, bytes]]:
        """The audio as it arrives; the first item carries the :class:`SpeechHead`."""
        async with self.pipeline.flight(
            principal, ctx, request.model, streamed=True, kind="speech"
        ) as flight:
            needs = speech_needs(request)
            planned = self._prepare(ctx, needs)
            admission = await flight.admit(worst_case_usd(planned, needs))
            run = flight.run(Route(planned, ctx.deadline, self.default_timeout_s))
            first = True
            # aclosing: a client that leaves closes the run first, so the characters the
            # provider accepted are billed before the flight settles.
            call = SpeechCall(self.session, request)
            async with contextlib.aclosing(run.stream(call)) as chunks:
                async for chunk in chunks:
                    head = None
                    if first:
                        first = False
                        _price_served(run.outcome, planned, len(request.input))
                        head = SpeechHead(
                            dict(admission.headers), run.outcome, request.content_type
                        )
                    yield head, chunk

    async def transcribe(
        self,
        principal: Principal,
        ctx: RequestContext,
        request: TranscriptionRequest,
        spool: AudioSpool,
    ) -> tuple[Transcript, dict[str, str], Outcome]:
        """The transcription (or translation) of the spooled file."""
        async with self.pipeline.flight(
            principal, ctx, request.model, streamed=False, kind="transcription"
        ) as flight:
            needs = transcription_needs(request, spool)
            planned = self._prepare(ctx, needs)
            admission = await flight.admit(worst_case_usd(planned, needs))
            run = flight.run(Route(planned, ctx.deadline, self.default_timeout_s))
            transcript = await run.unary(TranscriptionCall(self.session, request, spool))
        return transcript, dict(admission.headers), run.outcome


def _price_served(outcome: Outcome, planned: list[Planned], characters: int) -> None:
    """Speech's cost is known at its first bytes (the input's characters): note it now,
    for the first message's metadata; the runner bills the same when the stream ends."""
    served = outcome.served
    if served is not None and outcome.index is not None:
        served.cost_usd = cost_usd(planned[outcome.index].item.model, Usage(characters=characters))

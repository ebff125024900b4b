"""Speech and transcription requests: JSON / form -> proto at the bridge, proto -> domain
at the servicer, and the answers' metadata back to proto.

Speech follows chat's rule for a body the bridge cannot type: it goes to the core whole
in ``extra_json`` and the servicer reads it again with the same strict converter after
authentication (:func:`speech_from_proto`), so the 400 names the parameter and comes after
the 401. A transcription's form fields are all strings, so the bridge only sorts them.
"""

from __future__ import annotations

from typing import Any

import orjson

from gate_service.domain.audio import SpeechRequest, TranscriptionRequest
from gate_service.errors import invalid
from gate_service.proto_convert.jsonvalues import as_float, as_str, dump_extra
from gate_service.routing.outcome import Outcome
from spidergate.v1 import audio_pb2 as pb

# The keys of a speech body typed in the proto; any other (``stream_format``...) travels
# in ``extra_json`` and on to the provider.
SPEECH_KEYS = frozenset({"model", "input", "voice", "speed", "response_format", "instructions"})
# The form fields a transcription models; ``timestamp_granularities[]`` is OpenAI's
# spelling of the repeated one in a form.
FORM_FIELDS = frozenset(
    {"model", "language", "prompt", "response_format", "temperature", "file"}
    | {"timestamp_granularities[]", "timestamp_granularities"}
)


# ------------------------------------------------------------------ speech


def speech_to_proto(body: dict[str, Any]) -> pb.CreateSpeechRequest:
    """The JSON body, typed (a wrongly typed field is a 400 naming it); unknown keys
    travel in ``extra_json``."""
    msg = pb.CreateSpeechRequest()
    for key in ("model", "input", "voice", "response_format", "instructions"):
        value = body.get(key)
        if value is not None:
            setattr(msg, key, as_str(value, key))
    if body.get("speed") is not None:
        msg.speed = as_float(body["speed"], "speed")
    msg.extra_json = dump_extra(body, SPEECH_KEYS)
    return msg


def untyped_speech(raw: bytes) -> pb.CreateSpeechRequest:
    """A body the bridge could not type, for the core to refuse after authentication."""
    return pb.CreateSpeechRequest(extra_json=raw)


def speech_from_proto(msg: pb.CreateSpeechRequest) -> SpeechRequest:
    """The domain request; the raw body of :func:`untyped_speech` is read again here."""
    extra = _extra(msg.extra_json)
    if SPEECH_KEYS & extra.keys():
        # A forwarded body (or a gRPC client's extra): type it as the bridge would.
        msg = speech_to_proto(extra)
        extra = _extra(msg.extra_json)
    return SpeechRequest(
        model=msg.model,
        input=msg.input,
        voice=msg.voice,
        speed=msg.speed if msg.HasField("speed") else None,
        response_format=msg.response_format,
        instructions=msg.instructions,
        extra=extra,
    )


def _extra(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise invalid("The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise invalid("The request body must be a JSON object.")
    return value


# ------------------------------------------------------------------ transcription


def form_to_params(
    fields: list[tuple[str, str]], filename: str, content_type: str
) -> pb.TranscriptionParams:
    """The multipart form's text fields (in order; a repeated field may appear more than
    once) as parameters. ``temperature`` that is no number goes on as an unknown field,
    for the core's 400 after authentication (as a JSON body the bridge cannot type)."""
    msg = pb.TranscriptionParams(filename=filename, content_type=content_type)
    extra: dict[str, Any] = {}
    for name, value in fields:
        if name in ("model", "language", "prompt", "response_format"):
            setattr(msg, name, value)
        elif name in ("timestamp_granularities[]", "timestamp_granularities"):
            msg.timestamp_granularities.append(value)
        elif name == "temperature":
            try:
                msg.temperature = float(value)
            except ValueError:
                extra["temperature"] = value
        elif name != "file":
            prior = extra.get(name)
            extra[name] = value if prior is None else [*_as_list(prior), value]
    if extra:
        msg.extra_json = orjson.dumps(extra)
    return msg


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def untyped_form(reason: str) -> pb.TranscriptionParams:
    """A form the bridge could not read, for the core to refuse after authentication."""
    return pb.TranscriptionParams(form_error=reason or "malformed multipart form")


def params_from_proto(msg: pb.TranscriptionParams, *, translate: bool) -> TranscriptionRequest:
    if msg.form_error:
        raise invalid(f"The multipart form could not be read: {msg.form_error}", "file")
    extra = _extra(msg.extra_json)
    temperature = msg.temperature if msg.HasField("temperature") else None
    if "temperature" in extra:
        raw = extra.pop("temperature")
        try:
            temperature = float(raw)
        except (TypeError, ValueError):
            raise invalid("'temperature' must be a number", "temperature") from None
    for name, value in extra.items():
        if not isinstance(value, str) and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise invalid(f"'{name}' must be a form field (text)", name)
    return TranscriptionRequest(
        model=msg.model,
        filename=msg.filename or "audio",
        content_type=msg.content_type,
        language=msg.language,
        prompt=msg.prompt,
        response_format=msg.response_format,
        temperature=temperature,
        timestamp_granularities=list(msg.timestamp_granularities),
        extra=extra,
        translate=translate,
    )


# ------------------------------------------------------------------ answers


def metadata_to_proto(outcome: Outcome, request_id: str) -> pb.AudioMetadata:
    """What served, from the run's outcome."""
    served = outcome.served
    if served is None:
        return pb.AudioMetadata(request_id=request_id)
    return pb.AudioMetadata(
        provider=served.provider,
        model=served.model,
        cost_usd=served.cost_usd,
        request_id=request_id,
    )

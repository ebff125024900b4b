"""Images and moderation: domain ⇄ proto (the core's edge) and JSON → proto (the
bridge's). The bridge reads a body with the domain's own JSON reader; one it cannot type
goes to the core whole, in ``raw_body``, and the core answers its 400 after the 401."""

from __future__ import annotations

from typing import Any

from gate_service.domain.images import (
    DEFAULT_IMAGE_MODEL,
    GeneratedImage,
    ImageAnswer,
    ImageRequest,
    MediaMetadata,
    image_request_from_json,
)
from gate_service.domain.moderations import (
    DEFAULT_MODERATION_MODEL,
    ModerationAnswer,
    ModerationRequest,
    ModerationResult,
    check_input,
    moderation_request_from_json,
)
from gate_service.proto_convert.jsonvalues import dump_json, load_extra, load_json
from spidergate.v1 import images_pb2, moderations_pb2

# ----------------------------------------------------------------------------- images


def image_request_to_proto(request: ImageRequest) -> images_pb2.ImageRequest:
    message = images_pb2.ImageRequest(
        model=request.model,
        prompt=request.prompt,
        size=request.size,
        quality=request.quality,
        response_format=request.response_format,
        style=request.style,
        user=request.user,
        extra_json=dump_json(request.extra or None),
    )
    if request.n is not None:
        message.n = request.n
    return message


def image_request_from_proto(message: images_pb2.ImageRequest) -> ImageRequest:
    return ImageRequest(
        prompt=message.prompt,
        model=message.model or DEFAULT_IMAGE_MODEL,
        n=message.n if message.HasField("n") else None,
        size=message.size,
        quality=message.quality,
        response_format=message.response_format,
        style=message.style,
        user=message.user,
        extra=load_extra(message.extra_json),
    )


def create_image_from_json(body: dict[str, Any]) -> images_pb2.CreateImageRequest:
    """The bridge's reader (a GateError here: the body goes on untyped)."""
    return images_pb2.CreateImageRequest(
        request=image_request_to_proto(image_request_from_json(body))
    )


def create_image_untyped(raw: bytes) -> images_pb2.CreateImageRequest:
    return images_pb2.CreateImageRequest(raw_body=raw)


def metadata_to_proto(meta: MediaMetadata | None) -> images_pb2.MediaMetadata | None:
    if meta is None:
        return None
    return images_pb2.MediaMetadata(
        provider=meta.provider,
        provider_model=meta.provider_model,
        requested_model=meta.requested_model,
        cost_usd=meta.cost_usd,
        latency_ms=meta.latency_ms,
        fallback_used=meta.fallback_used,
        request_id=meta.request_id,
    )


def metadata_from_proto(message: images_pb2.MediaMetadata) -> MediaMetadata:
    return MediaMetadata(
        provider=message.provider,
        provider_model=message.provider_model,
        requested_model=message.requested_model,
        cost_usd=message.cost_usd,
        latency_ms=message.latency_ms,
        fallback_used=message.fallback_used,
        request_id=message.request_id,
    )


def image_answer_to_proto(
    answer: ImageAnswer, headers: dict[str, str]
) -> images_pb2.CreateImageResponse:
    return images_pb2.CreateImageResponse(
        created=answer.created,
        data=[
            images_pb2.GeneratedImage(
                url=image.url or "",
                b64_json=image.b64_json or "",
                revised_prompt=image.revised_prompt or "",
                extra_json=dump_json(image.extra or None),
            )
            for image in answer.data
        ],
        metadata=metadata_to_proto(answer.metadata),
        headers=headers,
        extra_json=dump_json(answer.extra or None),
    )


def image_answer_from_proto(message: images_pb2.CreateImageResponse) -> ImageAnswer:
    return ImageAnswer(
        created=message.created,
        data=[
            GeneratedImage(
                url=image.url or None,
                b64_json=image.b64_json or None,
                revised_prompt=image.revised_prompt or None,
                extra=load_extra(image.extra_json),
            )
            for image in message.data
        ],
        extra=load_extra(message.extra_json),
        metadata=metadata_from_proto(message.metadata) if message.HasField("metadata") else None,
    )


# ------------------------------------------------------------------------- moderations


def moderation_request_to_proto(request: ModerationRequest) -> moderations_pb2.ModerationRequest:
    return moderations_pb2.ModerationRequest(
        model=request.model,
        input_json=dump_json(request.input),
        extra_json=dump_json(request.extra or None),
    )


def moderation_request_from_proto(message: moderations_pb2.ModerationRequest) -> ModerationRequest:
    """The typed request; the input's shape is checked again (a gRPC client may send any
    JSON in ``input_json``)."""
    return ModerationRequest(
        input=check_input(load_json(message.input_json)),
        model=message.model or DEFAULT_MODERATION_MODEL,
        extra=load_extra(message.extra_json),
    )


def create_moderation_from_json(body: dict[str, Any]) -> moderations_pb2.CreateModerationRequest:
    request = moderation_request_to_proto(moderation_request_from_json(body))
    return moderations_pb2.CreateModerationRequest(request=request)


def create_moderation_untyped(raw: bytes) -> moderations_pb2.CreateModerationRequest:
    return moderations_pb2.CreateModerationRequest(raw_body=raw)


def moderation_answer_to_proto(
    answer: ModerationAnswer, headers: dict[str, str]
) -> moderations_pb2.CreateModerationResponse:
    return moderations_pb2.CreateModerationResponse(
        id=answer.id,
        model=answer.model,
        results=[
            moderations_pb2.ModerationResult(
                flagged=r.flagged,
                categories=r.categories,
                category_scores=r.category_scores,
                category_applied_input_types={
                    k: moderations_pb2.AppliedInputTypes(types=v)
                    for k, v in r.category_applied_input_types.items()
                },
                extra_json=dump_json(r.extra or None),
            )
            for r in answer.results
        ],
        metadata=metadata_to_proto(answer.metadata),
        headers=headers,
        extra_json=dump_json(answer.extra or None),
    )


def moderation_answer_from_proto(
    message: moderations_pb2.CreateModerationResponse,
) -> ModerationAnswer:
    return ModerationAnswer(
        id=message.id,
        model=message.model,
        results=[
            ModerationResult(
                flagged=r.flagged,
                categories=dict(r.categories),
                category_scores=dict(r.category_scores),
                category_applied_input_types={
                    k: list(v.types) for k, v in r.category_applied_input_types.items()
                },
                extra=load_extra(r.extra_json),
            )
            for r in message.results
        ],
        extra=load_extra(message.extra_json),
        metadata=metadata_from_proto(message.metadata) if message.HasField("metadata") else None,
    )

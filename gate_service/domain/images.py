"""Image generation as the core works on it: OpenAI's request and answer, typed.

The request is read from JSON once (:func:`image_request_from_json`, which is also what
the core applies to a body the bridge could not type) and checked after authentication
(:func:`validate_image_request`); keys we do not model stay in ``extra`` and go to the
provider untouched. ``spidergate_metadata`` is ours (:class:`MediaMetadata`), the rest is
the upstream's answer, keys we do not model kept too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gate_service.domain.request import Json
from gate_service.errors import invalid
from gate_service.proto_convert.jsonvalues import as_int32, as_str

DEFAULT_IMAGE_MODEL = "dall-e-2"  # OpenAI's default when `model` is absent
MAX_PROMPT_CHARS = 4000
# gpt-image-1 takes a much longer prompt (OpenAI's documented limit).
LONG_PROMPT_MODELS = {"gpt-image-1": 32_000}
MAX_IMAGES = 10
# Models that make one image per request.
SINGLE_IMAGE_MODELS = frozenset({"dall-e-3"})
RESPONSE_FORMATS = ("url", "b64_json")

_STRINGS = ("model", "prompt", "size", "quality", "response_format", "style", "user")
IMAGE_KEYS = frozenset({*_STRINGS, "n"})


@dataclass(slots=True)
class ImageRequest:
    prompt: str
    model: str = DEFAULT_IMAGE_MODEL
    n: int | None = None
    size: str = ""
    quality: str = ""
    response_format: str = ""
    style: str = ""
    user: str = ""
    extra: Json = field(default_factory=dict)

    @property
    def count(self) -> int:
        """How many images are asked for (OpenAI's default: one)."""
        return 1 if self.n is None else self.n


@dataclass(slots=True)
class GeneratedImage:
    url: str | None = None
    b64_json: str | None = None
    revised_prompt: str | None = None
    extra: Json = field(default_factory=dict)


@dataclass(slots=True)
class MediaMetadata:
    """Where a media call was served and what it cost (chat's ``spidergate_metadata``)."""

    provider: str
    provider_model: str
    requested_model: str
    cost_usd: float
    latency_ms: float
    fallback_used: bool = False
    request_id: str = ""


@dataclass(slots=True)
class ImageAnswer:
    created: int
    data: list[GeneratedImage]
    extra: Json = field(default_factory=dict)
    metadata: MediaMetadata | None = None


def image_request_from_json(body: dict[str, Any]) -> ImageRequest:
    """The typed request; a wrongly typed known key is a 400 naming it."""
    if "prompt" not in body or body["prompt"] is None:
        raise invalid("'prompt' is required", "prompt")
    values: dict[str, Any] = {}
    for key in _STRINGS:
        value = body.get(key)
        if value is not None:
            values[key] = as_str(value, key)
    n = body.get("n")
    if n is not None:
        values["n"] = as_int32(n, "n")
    if not values.get("model"):
        values["model"] = DEFAULT_IMAGE_MODEL
    extra = {k: v for k, v in body.items() if k not in IMAGE_KEYS}
    return ImageRequest(**values, extra=extra)


def image_request_to_json(request: ImageRequest, model: str | None = None) -> dict[str, Any]:
    """The OpenAI request body (``model``: the provider's id for it, when it differs)."""
    body: dict[str, Any] = dict(request.extra)
    body["model"] = model or request.model
    body["prompt"] = request.prompt
    if request.n is not None:
        body["n"] = request.n
    for key in ("size", "quality", "response_format", "style", "user"):
        value = getattr(request, key)
        if value:
            body[key] = value
    return body


def validate_image_request(request: ImageRequest) -> None:
    """The ranges OpenAI enforces, checked before any provider is called (400s)."""
    if not request.prompt.strip():
        raise invalid("'prompt' must not be empty", "prompt")
    name = request.model.rsplit("/", 1)[-1]
    limit = LONG_PROMPT_MODELS.get(name, MAX_PROMPT_CHARS)
    if len(request.prompt) > limit:
        raise invalid(f"'prompt' is longer than {limit} characters", "prompt")
    if request.n is not None:
        if not 1 <= request.n <= MAX_IMAGES:
            raise invalid(f"'n' must be between 1 and {MAX_IMAGES}", "n")
        if name in SINGLE_IMAGE_MODELS and request.n != 1:
            raise invalid(f"{name} makes one image per request: 'n' must be 1", "n")
    if request.response_format and request.response_format not in RESPONSE_FORMATS:
        raise invalid("'response_format' must be 'url' or 'b64_json'", "response_format")


def image_answer_from_json(body: dict[str, Any]) -> ImageAnswer:
    """The upstream's answer, typed (the provider adapter reads it)."""
    created = body.get("created")
    data = []
    for item in body.get("data") or []:
        if not isinstance(item, dict):
            continue
        known = {"url", "b64_json", "revised_prompt"}
        data.append(
            GeneratedImage(
                url=_opt_str(item.get("url")),
                b64_json=_opt_str(item.get("b64_json")),
                revised_prompt=_opt_str(item.get("revised_prompt")),
                extra={k: v for k, v in item.items() if k not in known},
            )
        )
    extra = {k: v for k, v in body.items() if k not in ("created", "data")}
    return ImageAnswer(int(created) if isinstance(created, int | float) else 0, data, extra)


def image_answer_to_json(answer: ImageAnswer) -> dict[str, Any]:
    """OpenAI's answer plus ``spidergate_metadata`` (what the bridge serves)."""
    data = []
    for image in answer.data:
        item: dict[str, Any] = dict(image.extra)
        if image.url is not None:
            item["url"] = image.url
        if image.b64_json is not None:
            item["b64_json"] = image.b64_json
        if image.revised_prompt is not None:
            item["revised_prompt"] = image.revised_prompt
        data.append(item)
    body: dict[str, Any] = {**answer.extra, "created": answer.created, "data": data}
    if answer.metadata is not None:
        body["spidergate_metadata"] = metadata_to_json(answer.metadata)
    return body


def metadata_to_json(meta: MediaMetadata) -> dict[str, Any]:
    return {
        "provider": meta.provider,
        "provider_model": meta.provider_model,
        "requested_model": meta.requested_model,
        "cost_usd": meta.cost_usd,
        "latency_ms": meta.latency_ms,
        "fallback_used": meta.fallback_used,
        "request_id": meta.request_id,
    }


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None

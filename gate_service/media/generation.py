"""``POST /media/generations``: one media model run with parameters checked against its
inputs schema, dispatched by the model's modality, and its estimated cost.

Dispatch is a table from modality to the function that runs it (:data:`_RUNNERS` is
filled per service): text-to-image models go through the images service, the same code
path as ``/images/generations``. Speech (``tts``) and transcription (``stt``) models are
one more entry each once the audio service exists; until then they answer 400 naming the
endpoint that serves them.

**Cost** (media.md): ``provider_cost_usd`` is what the provider charges (the run's cost at
the catalog's unit prices); ``billed_usd`` is 0 on the brand's own key, else the provider
cost times (1 + ``Settings.media_markup``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from gate_service.auth.principal import Principal
from gate_service.domain.images import GeneratedImage, ImageRequest, validate_image_request
from gate_service.errors import GateError, invalid
from gate_service.media.catalog import MediaCatalog, MediaModel
from gate_service.media.images import ImagesService
from gate_service.media.params import check_params
from gate_service.routing.outcome import RequestContext

# Speech and transcription have endpoints of their own until the audio service is wired.
_ELSEWHERE = {
    "tts": "/audio/speech",
    "stt": "/audio/transcriptions",
}
_IMAGE_FIELDS = ("n", "size", "quality", "response_format", "style")


@dataclass(slots=True)
class Generated:
    """What a modality's runner made, what the provider charged, and whose key served."""

    created: int
    data: list[GeneratedImage]
    provider_cost_usd: float
    own_key: bool
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class MediaGeneration:
    created: int
    model: str
    data: list[GeneratedImage]
    billed_usd: float
    provider_cost_usd: float
    dropped: list[str]
    headers: dict[str, str]


Runner = Callable[[Principal, RequestContext, MediaModel, dict[str, Any]], Awaitable[Generated]]


class MediaService:
    def __init__(self, catalog: MediaCatalog, images: ImagesService, markup: float) -> None:
        self.catalog = catalog
        self.images = images
        self.markup = markup
        self._runners: dict[str, Runner] = {"text-to-image": self._text_to_image}

    def model(self, model_id: str) -> MediaModel:
        """The model to run: 404 when unknown or disabled, 503 when coming soon."""
        model = self.catalog.get(model_id)
        if model is None or model.status == "disabled":
            raise GateError(
                "model_not_found", f"The media model '{model_id}' does not exist.", param="model"
            )
        if model.status == "coming_soon":
            raise GateError("service_unavailable", f"The media model '{model_id}' is coming soon.")
        return model

    def check(
        self, model_id: str, params: dict[str, Any]
    ) -> tuple[MediaModel, dict[str, Any], list[str]]:
        """Everything refused before routing (404, 503, 400): the model, its checked
        parameters and the names of those dropped."""
        model = self.model(model_id)
        elsewhere = _ELSEWHERE.get(model.modality)
        if elsewhere is not None:
            raise invalid(
                f"'{model_id}' is a {model.modality} model: use {elsewhere} for it.", "model"
            )
        if model.modality not in self._runners:
            raise invalid(f"{model.modality} generation is not served yet.", "model")
        kept, dropped = check_params(model, params)
        return model, kept, dropped

    async def generate(
        self,
        principal: Principal,
        ctx: RequestContext,
        model: MediaModel,
        params: dict[str, Any],
        dropped: list[str],
    ) -> MediaGeneration:
        made = await self._runners[model.modality](principal, ctx, model, params)
        cost = made.provider_cost_usd
        billed = 0.0 if made.own_key else round(cost * (1 + self.markup), 10)
        return MediaGeneration(
            created=made.created,
            model=model.id,
            data=made.data,
            billed_usd=billed,
            provider_cost_usd=cost,
            dropped=dropped,
            headers=made.headers,
        )

    async def _text_to_image(
        self, principal: Principal, ctx: RequestContext, model: MediaModel, params: dict[str, Any]
    ) -> Generated:
        request = image_request_of(model, params)
        result = await self.images.generate(principal, ctx, request)
        return Generated(
            result.answer.created,
            result.answer.data,
            result.outcome.cost_usd,
            result.own_key,
            result.headers,
        )


def image_request_of(model: MediaModel, params: dict[str, Any]) -> ImageRequest:
    """The images service's request for a text-to-image model's checked parameters; the
    ones the images request does not model (``background``...) go on as extra keys."""
    rest = dict(params)
    request = ImageRequest(prompt=str(rest.pop("prompt", "")), model=model.id)
    for name in _IMAGE_FIELDS:
        if name in rest:
            value = rest.pop(name)
            setattr(request, name, value if name == "n" else str(value))
    request.extra = rest
    validate_image_request(request)
    return request

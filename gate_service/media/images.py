"""The images service: one image-generation request through the pipeline. Both
``POST /images/generations`` and ``POST /media/generations`` (its text-to-image models)
call :meth:`ImagesService.generate`: one code path.

Only models with the ``image_generation`` capability qualify; the worst case reserved
against the budget is the images asked for times their base units
(:func:`~gate_service.providers.openai_images.image_units`) at the dearest candidate, so
a hard budget smaller than that is a 402 before any provider is called. No candidate
with a usable key: 503 ``no_openai_key`` (``key_required``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from gate_service.auth.principal import Principal
from gate_service.domain.images import ImageAnswer, ImageRequest
from gate_service.errors import GateError
from gate_service.media.served import media_metadata, served_by_own_key
from gate_service.pipeline import Pipeline
from gate_service.providers.openai_images import ImageCall, image_units
from gate_service.routing.outcome import Outcome, RequestContext
from gate_service.routing.plan import Needs, Planned, key_required
from gate_service.routing.planning import worst_case_usd
from gate_service.routing.runner import Route


@dataclass(slots=True)
class ImagesResult:
    """The answer (with its metadata), how the run went, whether the caller's own key
    served it, and the response headers (the token's ``X-RateLimit-*``)."""

    answer: ImageAnswer
    outcome: Outcome
    own_key: bool
    headers: dict[str, str]


class ImagesService:
    def __init__(self, pipeline: Pipeline, session: aiohttp.ClientSession, timeout_s: float):
        self.pipeline = pipeline
        self.session = session
        self.timeout_s = timeout_s

    async def generate(
        self, principal: Principal, ctx: RequestContext, request: ImageRequest
    ) -> ImagesResult:
        units = image_units(request.model, request.size, request.quality)
        needs = Needs(
            model=request.model,
            capabilities=("image_generation",),
            images=request.count * units,
        )
        pipeline = self.pipeline
        async with pipeline.flight(
            principal, ctx, request.model, streamed=False, kind="image"
        ) as f:
            planned = _prepare(pipeline, ctx, needs)
            admission = await f.admit(worst_case_usd(planned, needs))
            run = f.run(Route(planned, ctx.deadline, self.timeout_s))
            answer = await run.unary(ImageCall(self.session, request, units))
            answer.metadata = media_metadata(run.outcome, request.model, ctx)
        own = served_by_own_key(planned, run.outcome, ctx.client_id)
        return ImagesResult(answer, run.outcome, own, dict(admission.headers))


def _prepare(pipeline: Pipeline, ctx: RequestContext, needs: Needs) -> Sequence[Planned]:
    """Plan, a 422 whose candidates lacked only a key becoming 503 ``no_<provider>_key``."""
    try:
        return pipeline.router.planner.prepare(ctx, needs)
    except GateError as exc:
        raise key_required(exc) from None

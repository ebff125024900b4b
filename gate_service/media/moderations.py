"""The moderations service: one moderation request through the pipeline. Only models
with the ``moderation`` capability qualify; OpenAI charges nothing for them, so nothing
is reserved beyond the token's limits. No candidate with a usable key: 503
``no_openai_key``."""

from __future__ import annotations

import aiohttp

from gate_service.auth.principal import Principal
from gate_service.domain.moderations import ModerationAnswer, ModerationRequest
from gate_service.errors import GateError
from gate_service.media.served import media_metadata
from gate_service.pipeline import Pipeline
from gate_service.providers.openai_moderations import ModerationCall
from gate_service.routing.outcome import RequestContext
from gate_service.routing.plan import Needs, key_required
from gate_service.routing.planning import worst_case_usd
from gate_service.routing.runner import Route

_CHARS_PER_TOKEN = 4


class ModerationsService:
    def __init__(self, pipeline: Pipeline, session: aiohttp.ClientSession, timeout_s: float):
        self.pipeline = pipeline
        self.session = session
        self.timeout_s = timeout_s

    async def moderate(
        self, principal: Principal, ctx: RequestContext, request: ModerationRequest
    ) -> tuple[ModerationAnswer, dict[str, str]]:
        tokens = request.text_chars() // _CHARS_PER_TOKEN + 1
        needs = Needs(
            model=request.model,
            capabilities=("moderation",),
            prompt_tokens=tokens,
            prompt_bound=tokens,
            max_output=0,
        )
        pipeline = self.pipeline
        flight = pipeline.flight(principal, ctx, request.model, streamed=False, kind="moderation")
        async with flight:
            try:
                planned = pipeline.router.planner.prepare(ctx, needs)
            except GateError as exc:
                raise key_required(exc) from None
            admission = await flight.admit(worst_case_usd(planned, needs))
            run = flight.run(Route(planned, ctx.deadline, self.timeout_s))
            answer = await run.unary(ModerationCall(self.session, request))
            answer.metadata = media_metadata(run.outcome, request.model, ctx)
        return answer, dict(admission.headers)

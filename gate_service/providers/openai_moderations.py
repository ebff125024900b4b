"""OpenAI's ``/moderations`` wire: the request built from the domain request, the answer
parsed into the domain answer (pure), and the :class:`ModerationCall` that posts it.
OpenAI does not charge for moderation; the call reports no usage."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
import orjson

from gate_service.deadline import Deadline
from gate_service.domain import Usage
from gate_service.domain.moderations import (
    ModerationAnswer,
    ModerationRequest,
    moderation_answer_from_json,
    moderation_request_to_json,
)
from gate_service.providers.base import (
    FailureKind,
    Target,
    UpstreamFailure,
    UpstreamRequest,
    WireAdapter,
)
from gate_service.providers.openai_compat import auth_headers
from gate_service.providers.transport import post
from gate_service.routing.runner import Reply


def build_moderation_request(target: Target, request: ModerationRequest) -> UpstreamRequest:
    return UpstreamRequest(
        url=target.base_url.rstrip("/") + "/moderations",
        headers=auth_headers(target),
        body=orjson.dumps(moderation_request_to_json(request, target.model)),
    )


def parse_moderation_response(body: bytes) -> ModerationAnswer:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise UpstreamFailure(FailureKind.SERVER, 502, "upstream answer is not JSON") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("results"), list):
        raise UpstreamFailure(FailureKind.SERVER, 502, "upstream answer has no results")
    return moderation_answer_from_json(parsed)


@dataclass(frozen=True, slots=True)
class ModerationCall:
    session: aiohttp.ClientSession
    request: ModerationRequest

    async def __call__(
        self, target: Target, adapter: WireAdapter, deadline: Deadline, timeout_s: float
    ) -> Reply[ModerationAnswer]:
        upstream = build_moderation_request(target, self.request)
        resp = await post(self.session, upstream, timeout_s, deadline)
        if resp.status >= 400:
            raise adapter.classify_error(resp.status, resp.headers, resp.body)
        return Reply(parse_moderation_response(resp.body), resp.headers, Usage())

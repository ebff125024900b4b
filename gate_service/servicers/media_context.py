"""The request context of a media call (images, moderation, media generation): who asks,
the request's id and model controls, and its deadline, as chat builds it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc

from gate_service.auth.principal import Principal
from gate_service.deadline import Deadline
from gate_service.routing.outcome import RequestContext
from gate_service.servicers.common import request_id

if TYPE_CHECKING:
    from gate_service.core import Core


def media_context(
    core: Core, principal: Principal, context: grpc.aio.ServicerContext
) -> RequestContext:
    configured = core.settings.request_deadline_s
    remaining = context.time_remaining()
    budget = configured if remaining is None else min(configured, remaining)
    return RequestContext(
        client_id=principal.client_id,
        request_id=request_id(context),
        allowed_models=principal.controls.allowed_models,
        free_only=principal.controls.free_only,
        deadline=Deadline(budget),
    )

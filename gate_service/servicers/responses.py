"""ResponsesService: authenticate (scope ``gate:chat``), read the Responses JSON, translate
and validate it (a 400 comes after the 401 and carries the token's limits), then serve it
through the chat core (``gate_service/responses/service.py``) and answer JSON once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import orjson

from gate_service.auth.principal import Principal
from gate_service.chat.validation import check_depth
from gate_service.core import Core
from gate_service.domain import Json
from gate_service.errors import GateError, invalid
from gate_service.responses.service import input_items_page
from gate_service.responses.translate import ResponsesRequest
from gate_service.servicers.common import (
    authenticate,
    call_headers,
    request_context,
    streaming,
    unary,
)
from spidergate.v1 import responses_pb2 as pb
from spidergate.v1 import responses_pb2_grpc

_MAX_PAGE = 100


def _body(raw: bytes, max_depth: int) -> Json:
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        raise invalid("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    check_depth(body, max_depth)
    return body


async def _prepare(
    core: Core, raw: bytes, include_route_trace: bool, context: grpc.aio.ServicerContext
) -> tuple[Principal, Any, ResponsesRequest, list[Json]]:
    principal = await authenticate(core, context, "gate:chat")
    try:
        body = _body(raw, core.settings.max_json_depth)
        request, conversation = await core.responses.prepare(principal.client_id, body)
    except GateError as exc:
        await core.pipeline.report_limits(principal, exc)
        raise
    ctx = request_context(core, principal, context, include_route_trace=include_route_trace)
    return principal, ctx, request, conversation


class ResponsesServicer(responses_pb2_grpc.ResponsesServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core

    @unary
    async def CreateResponse(
        self, request: pb.CreateResponseRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateResponseResponse:
        principal, ctx, req, conversation = await _prepare(
            self._core, request.request_json, request.include_route_trace, context
        )
        response, headers = await self._core.responses.create(principal, ctx, req, conversation)
        return pb.CreateResponseResponse(response_json=orjson.dumps(response), headers=headers)

    @streaming
    async def StreamResponse(
        self, request: pb.StreamResponseRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.StreamResponseResponse]:
        principal, ctx, req, conversation = await _prepare(
            self._core, request.request_json, request.include_route_trace, context
        )
        async for headers, events in self._core.responses.stream(principal, ctx, req, conversation):
            yield pb.StreamResponseResponse(
                events=[pb.ResponseEvent(type=t, data_json=orjson.dumps(d)) for t, d in events],
                headers=headers or {},
            )

    @unary
    async def GetResponse(
        self, request: pb.GetResponseRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetResponseResponse:
        principal = await authenticate(self._core, context, "gate:chat")
        stored = await self._core.responses.get(principal.client_id, request.response_id)
        return pb.GetResponseResponse(
            response_json=orjson.dumps(stored.response), headers=call_headers()
        )

    @unary
    async def DeleteResponse(
        self, request: pb.DeleteResponseRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteResponseResponse:
        principal = await authenticate(self._core, context, "gate:chat")
        await self._core.responses.delete(principal.client_id, request.response_id)
        return pb.DeleteResponseResponse(
            id=request.response_id, deleted=True, headers=call_headers()
        )

    @unary
    async def ListInputItems(
        self, request: pb.ListInputItemsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListInputItemsResponse:
        principal = await authenticate(self._core, context, "gate:chat")
        limit = request.limit if request.HasField("limit") else 20
        if not 1 <= limit <= _MAX_PAGE:
            raise invalid(f"'limit' must be between 1 and {_MAX_PAGE}", "limit")
        if request.order not in ("", "asc", "desc"):
            raise invalid("'order' must be asc or desc", "order")
        stored = await self._core.responses.get(principal.client_id, request.response_id)
        page = input_items_page(
            stored.input_items, limit, request.order or "desc", request.after, request.before
        )
        return pb.ListInputItemsResponse(list_json=orjson.dumps(page), headers=call_headers())

"""PromptService: saved prompts over gRPC. Who is calling, then the prompt service.

Reading (list, search, get) needs ``gate:chat``: whoever may send a request naming a
prompt may read it. Writing needs the brand's client credential: an agent token is
refused (403 ``permission_denied``), because a prompt applies to every agent of the brand
that names it, and one agent must not be able to rewrite what the others are told.

A body or query string the bridge could not type arrives as is (``raw_body``,
``raw_query``) and is read here with the bridge's own reader, once the caller is known:
its 401/403 first, then the 400 naming the field.
"""

from __future__ import annotations

from typing import TypeVar

import grpc

from gate_service.auth.principal import Principal
from gate_service.core import Core
from gate_service.errors import invalid
from gate_service.proto_convert import prompts as convert
from gate_service.proto_convert.untyped import query_params
from gate_service.servicers.common import (
    authenticate,
    brand_admin,
    call_headers,
    json_body,
    unary,
)
from spidergate.v1 import prompts_pb2 as pb
from spidergate.v1 import prompts_pb2_grpc

Req = TypeVar("Req")


class PromptServicer(prompts_pb2_grpc.PromptServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core
        self._prompts = core.prompts

    async def _reader(self, context: grpc.aio.ServicerContext) -> Principal:
        return await authenticate(self._core, context, "gate:chat")

    async def _writer(self, context: grpc.aio.ServicerContext) -> Principal:
        return await brand_admin(self._core, context, "Saving, changing or deleting prompts")

    @staticmethod
    def _id(prompt_id: str) -> str:
        if not prompt_id:
            raise invalid("'prompt_id' is required", "prompt_id")
        return prompt_id

    @unary
    async def CreatePrompt(
        self, request: pb.CreatePromptRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreatePromptResponse:
        principal = await self._writer(context)
        if request.HasField("raw_body"):
            request = await json_body(
                self._core, request.raw_body, convert.create_request_from_json
            )
        view = await self._prompts.create(
            principal.client_id, convert.new_prompt_from_proto(request)
        )
        return pb.CreatePromptResponse(prompt=convert.prompt_to_proto(view), headers=call_headers())

    @unary
    async def ListPrompts(
        self, request: pb.ListPromptsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListPromptsResponse:
        principal = await self._reader(context)
        if request.raw_query:
            request = convert.list_request_from_query(query_params(request.raw_query))
        page = await self._prompts.list(principal.client_id, convert.query_from_proto(request))
        return pb.ListPromptsResponse(
            prompts=[convert.prompt_to_proto(v) for v in page.prompts],
            has_more=page.has_more,
            headers=call_headers(),
        )

    @unary
    async def SearchPrompts(
        self, request: pb.SearchPromptsRequest, context: grpc.aio.ServicerContext
    ) -> pb.SearchPromptsResponse:
        principal = await self._reader(context)
        if request.raw_query:
            request = convert.search_request_from_query(query_params(request.raw_query))
        page = await self._prompts.list(principal.client_id, convert.query_from_proto(request))
        return pb.SearchPromptsResponse(
            prompts=[convert.prompt_to_proto(v) for v in page.prompts],
            has_more=page.has_more,
            headers=call_headers(),
        )

    @unary
    async def GetPrompt(
        self, request: pb.GetPromptRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetPromptResponse:
        principal = await self._reader(context)
        if request.raw_query:
            prompt_id = request.prompt_id
            request = convert.get_request_from_query(prompt_id, query_params(request.raw_query))
        version = request.version if request.HasField("version") else None
        view = await self._prompts.get(principal.client_id, self._id(request.prompt_id), version)
        return pb.GetPromptResponse(prompt=convert.prompt_to_proto(view), headers=call_headers())

    @unary
    async def UpdatePrompt(
        self, request: pb.UpdatePromptRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdatePromptResponse:
        principal = await self._writer(context)
        if request.HasField("raw_body"):
            prompt_id = request.prompt_id
            request = await json_body(
                self._core,
                request.raw_body,
                lambda body: convert.update_request_from_json(prompt_id, body),
            )
        view = await self._prompts.update(
            principal.client_id, self._id(request.prompt_id), convert.patch_from_proto(request)
        )
        return pb.UpdatePromptResponse(prompt=convert.prompt_to_proto(view), headers=call_headers())

    @unary
    async def DeletePrompt(
        self, request: pb.DeletePromptRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeletePromptResponse:
        principal = await self._writer(context)
        await self._prompts.delete(principal.client_id, self._id(request.prompt_id))
        return pb.DeletePromptResponse(
            prompt_id=request.prompt_id, deleted=True, headers=call_headers()
        )

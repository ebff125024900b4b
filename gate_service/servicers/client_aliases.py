"""ClientAliasService: a brand's client aliases over gRPC. Who is calling, then the manager.

Scoped as the vault is: a brand's client credential manages that brand's aliases; an
agent token is refused (an agent must not reroute what its brand pays for), and so is the
operator token, which has no brand (the CLI manages any brand's aliases on the database).

A body or query string the bridge could not type arrives as is (``raw_body``,
``raw_query``) and is read here with the bridge's own reader, once the caller is known:
its 401/403 first, then the 400 naming the field.
"""

from __future__ import annotations

from typing import TypeVar

import grpc

from gate_service.client_aliases.manager import ClientAliasManager
from gate_service.core import Core
from gate_service.proto_convert.client_aliases import (
    alias_to_proto,
    create_request_from_json,
    list_request_from_query,
    new_alias_from_proto,
    page_query_from_proto,
    page_to_proto,
    patch_from_proto,
    update_request_from_json,
)
from gate_service.proto_convert.untyped import query_params
from gate_service.servicers.common import brand_admin, json_body, unary
from spidergate.v1 import client_aliases_pb2 as pb
from spidergate.v1 import client_aliases_pb2_grpc

Req = TypeVar("Req")


class ClientAliasServicer(client_aliases_pb2_grpc.ClientAliasServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core
        self._aliases = ClientAliasManager.for_core(core)

    async def _brand(self, context: grpc.aio.ServicerContext) -> str:
        """The caller's brand; 401 without a valid credential, 403 for an agent token."""
        return (await brand_admin(self._core, context, "Managing client aliases")).client_id

    @unary
    async def ListClientAliases(
        self, request: pb.ListClientAliasesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListClientAliasesResponse:
        brand = await self._brand(context)
        if request.raw_query:
            request = list_request_from_query(query_params(request.raw_query))
        limit, offset = page_query_from_proto(request)
        return page_to_proto(await self._aliases.list_aliases(brand, limit, offset))

    @unary
    async def CreateClientAlias(
        self, request: pb.CreateClientAliasRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateClientAliasResponse:
        brand = await self._brand(context)
        if request.HasField("raw_body"):
            request = await json_body(self._core, request.raw_body, create_request_from_json)
        view = await self._aliases.create(brand, new_alias_from_proto(request))
        return pb.CreateClientAliasResponse(alias=alias_to_proto(view))

    @unary
    async def GetClientAlias(
        self, request: pb.GetClientAliasRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetClientAliasResponse:
        brand = await self._brand(context)
        view = await self._aliases.get(brand, request.name)
        return pb.GetClientAliasResponse(alias=alias_to_proto(view))

    @unary
    async def UpdateClientAlias(
        self, request: pb.UpdateClientAliasRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateClientAliasResponse:
        brand = await self._brand(context)
        if request.HasField("raw_body"):
            leaf = request.name
            request = await json_body(
                self._core, request.raw_body, lambda body: update_request_from_json(leaf, body)
            )
        view = await self._aliases.update(brand, request.name, patch_from_proto(request))
        return pb.UpdateClientAliasResponse(alias=alias_to_proto(view))

    @unary
    async def DeleteClientAlias(
        self, request: pb.DeleteClientAliasRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteClientAliasResponse:
        brand = await self._brand(context)
        alias = await self._aliases.delete(brand, request.name)
        return pb.DeleteClientAliasResponse(name=alias.leaf, deleted=True)

"""AliasAdminService: platform alias administration over gRPC, for the operator token.

The operator token (constant-time compare; disabled while ``operator_token`` is empty) is
the only caller: any other valid credential is a 403 ``permission_denied``, no credential
or a bad one the usual 401 first. A body the bridge could not type arrives as
``raw_body`` and is read here with the bridge's own reader once the caller is known.
"""

from __future__ import annotations

from typing import TypeVar

import grpc

from gate_service.aliasadmin.probe import ChainProber
from gate_service.aliasadmin.service import AliasAdmin
from gate_service.core import Core
from gate_service.errors import GateError
from gate_service.proto_convert import alias_admin as convert
from gate_service.servicers.common import (
    authenticate,
    is_operator,
    json_body,
    unary,
)
from spidergate.v1 import alias_admin_pb2 as pb
from spidergate.v1 import alias_admin_pb2_grpc

Req = TypeVar("Req")

# Who the history records for a change made through the API: the operator token is one
# shared secret, not a person.
ACTOR = "operator"


def alias_admin_for(core: Core) -> AliasAdmin:
    """The core's alias administration: its database, snapshot, keys and change bus."""
    prober = ChainProber(
        adapters=core.adapters, session=core.session, keys=core.keys, health=core.router.health
    )
    return AliasAdmin(
        core.db,
        catalog=lambda: core.catalog,
        prober=prober,
        changes=core.catalog_changes,
        reload=core.reload_catalog,
        probed=core.probes.supports_tools,
    )


class AliasAdminServicer(alias_admin_pb2_grpc.AliasAdminServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core
        self._admin = alias_admin_for(core)

    async def _require_operator(self, context: grpc.aio.ServicerContext) -> None:
        if is_operator(self._core, context):
            return
        await authenticate(self._core, context)  # 401 before 403
        raise GateError("permission_denied", "Alias administration needs the operator token.")

    @unary
    async def ListAdminAliases(
        self, request: pb.ListAdminAliasesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAdminAliasesResponse:
        await self._require_operator(context)
        aliases = await self._admin.list_aliases()
        return pb.ListAdminAliasesResponse(aliases=[convert.alias_to_proto(a) for a in aliases])

    @unary
    async def GetAdminAlias(
        self, request: pb.GetAdminAliasRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetAdminAliasResponse:
        await self._require_operator(context)
        alias = await self._admin.get(request.alias_id)
        return pb.GetAdminAliasResponse(alias=convert.alias_to_proto(alias))

    @unary
    async def ValidateChain(
        self, request: pb.ValidateChainRequest, context: grpc.aio.ServicerContext
    ) -> pb.ValidateChainResponse:
        await self._require_operator(context)
        if request.HasField("raw_body"):
            alias_id = request.alias_id
            request = await json_body(
                self._core,
                request.raw_body,
                lambda b: convert.validate_request_from_json(alias_id, b),
            )
        validation = await self._admin.validate(convert.change_from_proto(request))
        return convert.validation_to_proto(validation)

    @unary
    async def ReplaceChain(
        self, request: pb.ReplaceChainRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReplaceChainResponse:
        await self._require_operator(context)
        if request.HasField("raw_body"):
            alias_id = request.alias_id
            request = await json_body(
                self._core,
                request.raw_body,
                lambda b: convert.replace_request_from_json(alias_id, b),
            )
        alias = await self._admin.replace(convert.change_from_proto(request), ACTOR)
        return pb.ReplaceChainResponse(alias=convert.alias_to_proto(alias))

    @unary
    async def RollbackChain(
        self, request: pb.RollbackChainRequest, context: grpc.aio.ServicerContext
    ) -> pb.RollbackChainResponse:
        await self._require_operator(context)
        if request.HasField("raw_body"):
            alias_id = request.alias_id
            request = await json_body(
                self._core,
                request.raw_body,
                lambda b: convert.rollback_request_from_json(alias_id, b),
            )
        alias = await self._admin.rollback(convert.rollback_from_proto(request), ACTOR)
        return pb.RollbackChainResponse(alias=convert.alias_to_proto(alias))

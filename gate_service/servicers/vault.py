"""VaultService: provider keys over gRPC. Who is calling, then the vault manager.

The operator token (constant-time compare, disabled while ``operator_token`` is empty)
manages pool keys; a brand's client credential manages that brand's keys; an agent token
is refused, because an agent must not be able to swap the keys its brand pays with.

A body or query string the bridge could not type arrives as is (``raw_body``,
``raw_query``) and is read here with the bridge's own reader, once the caller is known:
its 401/403 first, then the 400 naming the field (with the token's ``X-RateLimit-*``).
"""

from __future__ import annotations

from typing import TypeVar

import grpc

from gate_service.core import Core
from gate_service.errors import GateError
from gate_service.proto_convert.untyped import query_params
from gate_service.proto_convert.vault import (
    create_request_from_json,
    health_request_from_query,
    health_to_proto,
    key_to_proto,
    list_request_from_query,
    new_key_from_proto,
    patch_from_proto,
    query_from_proto,
    update_request_from_json,
)
from gate_service.servicers.common import (
    brand_admin,
    is_operator,
    json_body,
    unary,
)
from gate_service.vault.manager import Caller, VaultManager
from gate_service.vault.records import KeyView
from spidergate.v1 import vault_pb2 as pb
from spidergate.v1 import vault_pb2_grpc

Req = TypeVar("Req")


class VaultServicer(vault_pb2_grpc.VaultServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core
        self._vault = VaultManager.for_core(core)

    async def _caller(self, context: grpc.aio.ServicerContext) -> Caller:
        if is_operator(self._core, context):
            return Caller(client_id=None)
        principal = await brand_admin(self._core, context, "Managing provider keys")
        return Caller(client_id=principal.client_id)

    def _key(self, view: KeyView) -> pb.ProviderKey:
        return key_to_proto(view, self._vault.state(view))

    @staticmethod
    def _key_id(key_id: str) -> str:
        if not key_id:
            raise GateError("invalid_request", "'key_id' is required", param="key_id")
        return key_id

    @unary
    async def CreateKey(
        self, request: pb.CreateKeyRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateKeyResponse:
        caller = await self._caller(context)
        if request.HasField("raw_body"):
            request = await json_body(self._core, request.raw_body, create_request_from_json)
        view = await self._vault.create(caller, new_key_from_proto(request))
        return pb.CreateKeyResponse(key=self._key(view))

    @unary
    async def ListKeys(
        self, request: pb.ListKeysRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListKeysResponse:
        caller = await self._caller(context)
        if request.raw_query:
            request = list_request_from_query(query_params(request.raw_query))
        views = await self._vault.list_keys(caller, query_from_proto(request))
        return pb.ListKeysResponse(keys=[self._key(v) for v in views])

    @unary
    async def GetKey(
        self, request: pb.GetKeyRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetKeyResponse:
        caller = await self._caller(context)
        view = await self._vault.get(caller, self._key_id(request.key_id))
        return pb.GetKeyResponse(key=self._key(view))

    @unary
    async def UpdateKey(
        self, request: pb.UpdateKeyRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateKeyResponse:
        caller = await self._caller(context)
        if request.HasField("raw_body"):
            key_id = request.key_id
            request = await json_body(
                self._core, request.raw_body, lambda body: update_request_from_json(key_id, body)
            )
        view = await self._vault.update(
            caller,
            self._key_id(request.key_id),
            patch_from_proto(request),
            test_connection=request.test_connection,
            test_model=request.test_model or None,
        )
        return pb.UpdateKeyResponse(key=self._key(view))

    @unary
    async def DeleteKey(
        self, request: pb.DeleteKeyRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteKeyResponse:
        caller = await self._caller(context)
        view = await self._vault.delete(caller, self._key_id(request.key_id))
        return pb.DeleteKeyResponse(key_id=view.id, deleted=True)

    @unary
    async def DeactivateKey(
        self, request: pb.DeactivateKeyRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeactivateKeyResponse:
        caller = await self._caller(context)
        view = await self._vault.set_active(caller, self._key_id(request.key_id), False)
        return pb.DeactivateKeyResponse(key=self._key(view))

    @unary
    async def ActivateKey(
        self, request: pb.ActivateKeyRequest, context: grpc.aio.ServicerContext
    ) -> pb.ActivateKeyResponse:
        caller = await self._caller(context)
        view = await self._vault.set_active(caller, self._key_id(request.key_id), True)
        return pb.ActivateKeyResponse(key=self._key(view))

    @unary
    async def GetHealthSummary(
        self, request: pb.GetHealthSummaryRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetHealthSummaryResponse:
        caller = await self._caller(context)
        if request.raw_query:
            request = health_request_from_query(query_params(request.raw_query))
        summary = await self._vault.health_summary(
            caller, request.provider or None, request.include_pool
        )
        return health_to_proto(summary)

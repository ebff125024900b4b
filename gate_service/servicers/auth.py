"""AuthService: authenticate tokens; brands, client credentials and agent tokens.

Brand creation needs the operator token from the settings; everything else acts on the
caller's own brand, so one brand can never touch another's tokens.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import grpc

from gate_service.auth.principal import Principal
from gate_service.auth.views import TokenView
from gate_service.core import Core
from gate_service.errors import GateError
from gate_service.proto_convert.auth import controls_from_proto, controls_to_proto, update_changes
from gate_service.servicers.common import (
    brand_admin,
    is_operator,
    metadata_value,
    unary,
)
from spidergate.v1 import auth_pb2, auth_pb2_grpc


def _ts(value: datetime | None) -> int:
    return int(value.timestamp()) if value else 0


def _token(view: TokenView, token: str = "") -> auth_pb2.AgentToken:
    return auth_pb2.AgentToken(
        id=view.id,
        client_id=view.client_id,
        name=view.name,
        scopes=list(view.scopes),
        prefix=view.prefix,
        created=_ts(view.created_at),
        revoked=_ts(view.revoked_at),
        token=token,
        controls=controls_to_proto(view.controls),
    )


def _principal(p: Principal) -> auth_pb2.Principal:
    return auth_pb2.Principal(
        client_id=p.client_id,
        brand_name=p.brand_name,
        token_id=p.token_id or "",
        agent_name=p.agent_name or "",
        scopes=sorted(p.scopes),
        kind=p.kind,
    )


def _credential(token: str) -> auth_pb2.ClientCredential:
    client_id, api_key, _ = token.split(":", 2)
    return auth_pb2.ClientCredential(client_id=client_id, api_key=api_key, token=token)


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core

    async def _caller(self, context: grpc.aio.ServicerContext) -> Principal:
        """The brand whose credentials and tokens the call manages: only its client
        credential may. An agent token could otherwise mint itself an unlimited sibling
        or lift its own budget. Refusals of an agent token carry its rate-limit headers,
        like every authenticated answer."""
        return await brand_admin(
            self._core, context, "Managing agent tokens and client credentials"
        )

    def _require_operator(self, context: grpc.aio.ServicerContext) -> None:
        if not self._core.settings.operator_token:
            raise GateError(
                "permission_denied",
                "Operator calls are disabled: set SPIDERGATE_OPERATOR_TOKEN on the core.",
            )
        if not is_operator(self._core, context):
            raise GateError("permission_denied", "This call needs the operator token.")

    @unary
    async def Authenticate(
        self, request: auth_pb2.AuthenticateRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.AuthenticateResponse:
        header = (
            f"Bearer {request.token}" if request.token else metadata_value(context, "authorization")
        )
        principal = await self._core.authenticator.authenticate(header)
        return auth_pb2.AuthenticateResponse(
            principal=_principal(principal), headers=await self._core.governor.peek(principal)
        )

    @unary
    async def CreateBrand(
        self, request: auth_pb2.CreateBrandRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.CreateBrandResponse:
        self._require_operator(context)
        if not request.name.strip():
            raise GateError("invalid_request", "'name' is required", param="name")
        brand, token = await asyncio.to_thread(self._core.identity.create_brand, request.name)
        return auth_pb2.CreateBrandResponse(
            brand=auth_pb2.Brand(
                client_id=brand.client_id, name=brand.name, created=_ts(brand.created_at)
            ),
            credential=_credential(token),
        )

    @unary
    async def CreateClientCredential(
        self, request: auth_pb2.CreateClientCredentialRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.CreateClientCredentialResponse:
        caller = await self._caller(context)
        token = await asyncio.to_thread(self._core.identity.create_credential, caller.client_id)
        return auth_pb2.CreateClientCredentialResponse(credential=_credential(token))

    @unary
    async def MintAgentToken(
        self, request: auth_pb2.MintAgentTokenRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.MintAgentTokenResponse:
        caller = await self._caller(context)
        if not request.name.strip():
            raise GateError("invalid_request", "'name' is required", param="name")
        view, token = await asyncio.to_thread(
            self._core.identity.mint_token,
            caller.client_id,
            request.name,
            list(request.scopes) or None,
            controls_from_proto(request.controls),
        )
        return auth_pb2.MintAgentTokenResponse(token=_token(view, token))

    @unary
    async def ListAgentTokens(
        self, request: auth_pb2.ListAgentTokensRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.ListAgentTokensResponse:
        caller = await self._caller(context)
        views = await asyncio.to_thread(
            self._core.identity.list_tokens, caller.client_id, request.include_revoked
        )
        return auth_pb2.ListAgentTokensResponse(tokens=[_token(v) for v in views])

    @unary
    async def RevokeAgentToken(
        self, request: auth_pb2.RevokeAgentTokenRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.RevokeAgentTokenResponse:
        caller = await self._caller(context)
        view = await asyncio.to_thread(
            self._core.identity.revoke_token, caller.client_id, request.id
        )
        self._core.authenticator.invalidate_token(view.id)
        return auth_pb2.RevokeAgentTokenResponse(token=_token(view))

    @unary
    async def UpdateAgentToken(
        self, request: auth_pb2.UpdateAgentTokenRequest, context: grpc.aio.ServicerContext
    ) -> auth_pb2.UpdateAgentTokenResponse:
        caller = await self._caller(context)
        changes = update_changes(request)
        view = await asyncio.to_thread(
            self._core.identity.update_token, caller.client_id, request.id, **changes
        )
        # This process applies the change at once; other replicas when their
        # authentication cache expires (Settings.auth_cache_ttl_s), as with the CLI.
        self._core.authenticator.invalidate_token(view.id)
        return auth_pb2.UpdateAgentTokenResponse(token=_token(view))

"""InviteService over gRPC: the brand's admin calls, and the public link's.

Create, list and withdraw need the brand's client credential (an agent token is refused:
an agent must not choose who adds keys its brand pays with; the operator has no brand to
invite into). Open, accept and revoke take no credential: the link's token is the
authority, checked by the invite service.

A body or query string the bridge could not type arrives as is (``raw_body``,
``raw_query``) and is read here once the caller is known: its 401/403 first, then the 400.
"""

from __future__ import annotations

import grpc

from gate_service.core import Core
from gate_service.offload import sized
from gate_service.proto_convert.invites import (
    create_request_from_json,
    invite_to_proto,
    list_request_from_query,
    new_invite_from_proto,
    status_from_proto,
)
from gate_service.proto_convert.untyped import parse_json, query_params
from gate_service.servicers.common import brand_admin, unary
from spidergate.v1 import invites_pb2 as pb
from spidergate.v1 import invites_pb2_grpc


class InviteServicer(invites_pb2_grpc.InviteServiceServicer):
    def __init__(self, core: Core) -> None:
        self._core = core
        self._invites = core.invites

    async def _brand(self, context: grpc.aio.ServicerContext) -> str:
        return (await brand_admin(self._core, context, "Inviting contributors")).client_id

    @unary
    async def CreateInvite(
        self, request: pb.CreateInviteRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateInviteResponse:
        client_id = await self._brand(context)
        if request.HasField("raw_body"):
            # Read as the bridge reads a body: a large one in a worker thread.
            settings, raw = self._core.settings, request.raw_body
            request = await sized(
                len(raw),
                settings.json_offload_bytes,
                parse_json,
                raw,
                settings.max_json_depth,
                create_request_from_json,
            )
        view = await self._invites.create(client_id, new_invite_from_proto(request))
        return pb.CreateInviteResponse(invite=invite_to_proto(view))

    @unary
    async def ListInvites(
        self, request: pb.ListInvitesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListInvitesResponse:
        client_id = await self._brand(context)
        if request.raw_query:
            request = list_request_from_query(query_params(request.raw_query))
        views = await self._invites.list_invites(client_id, status_from_proto(request.status))
        return pb.ListInvitesResponse(invites=[invite_to_proto(v) for v in views])

    @unary
    async def WithdrawInvite(
        self, request: pb.WithdrawInviteRequest, context: grpc.aio.ServicerContext
    ) -> pb.WithdrawInviteResponse:
        client_id = await self._brand(context)
        view = await self._invites.withdraw(client_id, request.invite_id)
        return pb.WithdrawInviteResponse(invite=invite_to_proto(view))

    @unary
    async def OpenInvite(
        self, request: pb.OpenInviteRequest, context: grpc.aio.ServicerContext
    ) -> pb.OpenInviteResponse:
        opened, provider_name = await self._invites.open(request.token)
        return pb.OpenInviteResponse(
            brand_name=opened.brand_name,
            provider=opened.provider,
            provider_name=provider_name,
            message=opened.message,
            email=opened.email,
            expires_at=int(opened.expires_at.timestamp()),
        )

    @unary
    async def AcceptInvite(
        self, request: pb.AcceptInviteRequest, context: grpc.aio.ServicerContext
    ) -> pb.AcceptInviteResponse:
        accepted = await self._invites.accept(request.token, request.secret)
        return pb.AcceptInviteResponse(
            provider=accepted.provider,
            key_preview=accepted.key_preview,
            revoke_token=accepted.revoke_token,
            brand_name=accepted.brand_name,
            provider_name=self._invites.provider_name(accepted.provider),
        )

    @unary
    async def RevokeContribution(
        self, request: pb.RevokeContributionRequest, context: grpc.aio.ServicerContext
    ) -> pb.RevokeContributionResponse:
        revoked = await self._invites.revoke(request.token)
        return pb.RevokeContributionResponse(
            provider=revoked.provider,
            key_preview=revoked.key_preview,
            brand_name=revoked.brand_name,
        )

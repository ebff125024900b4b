"""The invites' REST routes: ``POST /invites``, ``GET /invites``, ``DELETE
/invites/{invite_id}``, for a brand's admin (its client credential). JSON in and out,
the documented error envelope; the Authorization header travels to the core as gRPC
metadata, which decides who may do what.

The public page behind an invite's link is the console's
(:mod:`bridge.console.invite_pages`), not a JSON route: a contributor has a browser,
not a client.

A body or query string the bridge cannot type goes to the core as is (``raw_body``,
``raw_query``): the invite service checks the caller first (401, 403), then answers the
400, in the one call the route makes.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.body import read_json
from bridge.openapi_operations import Op
from bridge.openapi_views import _listing, const, nullable
from bridge.proto_schema import View
from bridge.query import read_query
from bridge.responses import call_metadata, reply
from gate_service.invites.records import MAX_EMAIL, MAX_MESSAGE
from gate_service.proto_convert.invites import (
    create_request_from_json,
    invite_to_json,
    list_request_from_query,
)
from spidergate.v1 import invites_pb2 as pb

_TIMEOUT_S = 30.0


def _invites(request: Request) -> Any:
    return request.app.state.core.invites


async def create_invite(request: Request) -> Response:
    md = call_metadata(request)
    message = await read_json(
        request, create_request_from_json, lambda raw: pb.CreateInviteRequest(raw_body=raw)
    )
    answer = await _invites(request).CreateInvite(message, metadata=md, timeout=_TIMEOUT_S)
    # 202: stored, and its mail on its way (the listing's mail_status says how it went).
    return reply(request, invite_to_json(answer.invite), status=202)


async def list_invites(request: Request) -> Response:
    md = call_metadata(request)
    message = read_query(
        request, list_request_from_query, lambda raw: pb.ListInvitesRequest(raw_query=raw)
    )
    answer = await _invites(request).ListInvites(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, {"object": "list", "data": [invite_to_json(i) for i in answer.invites]})


async def withdraw_invite(request: Request) -> Response:
    md = call_metadata(request)
    message = pb.WithdrawInviteRequest(invite_id=request.path_params["invite_id"])
    answer = await _invites(request).WithdrawInvite(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, invite_to_json(answer.invite))


ROUTES = [
    Route("/invites", create_invite, methods=["POST"]),
    Route("/invites", list_invites, methods=["GET"]),
    Route("/invites/{invite_id}", withdraw_invite, methods=["DELETE"]),
]

_ABOUT = (
    "A brand's client credential invites an email address to contribute a provider key; "
    "agent tokens are refused (403). The key is pasted on a public page behind the "
    "mailed link and stored in the brand's vault: the brand sees only its masked preview."
)


def OPERATIONS() -> dict[Any, Op]:
    text = nullable({"type": "string"})
    moment = nullable({"type": "integer", "format": "int64"})
    invite = View(
        pb.Invite,
        fields={
            "base_url": text,
            "revoked_by": nullable({"type": "string", "enum": ["brand", "contributor"]}),
            "mail_error": text,
            "used_at": moment,
            "revoked_at": moment,
            "mail_sent_at": moment,
            "key_id": text,
            "key_preview": text,
        },
        add={"object": const("invite")},
    )
    create = View(
        pb.CreateInviteRequest,
        name="InviteCreate",
        limits={
            "email": {"maxLength": MAX_EMAIL, "examples": ["dev@example.com"]},
            "provider": {"maxLength": 64, "examples": ["groq"]},
            "message": {"maxLength": MAX_MESSAGE},
            "base_url": {"maxLength": 500},
            "label": {"maxLength": 200},
        },
        required=("email", "provider"),
        null_is_unset=True,
        closed=True,
    )

    def op(summary: str, answer: Any, **kw: Any) -> Op:
        return Op(summary, "invites", answer, description=_ABOUT, **kw)

    return {
        create_invite: op(
            "Invite a contributor (the link is mailed in the background)",
            invite,
            status=202,
            body=create,
            errors=("not_found", "service_unavailable"),
        ),
        list_invites: op(
            "The brand's invites, newest first",
            _listing(pb.ListInvitesResponse, "InviteList", "invites", invite),
            query=View(pb.ListInvitesRequest),
        ),
        withdraw_invite: op(
            "Withdraw a pending invite (its link stops working)",
            invite,
            path=View(pb.WithdrawInviteRequest),
            errors=("not_found",),
        ),
    }

"""The public invite page's calls to the core (``InviteService``): open, accept, revoke.

No credential travels: the link's token is the authority, and the core checks it. The
one module of the invite pages that touches generated code (the gRPC edge); answers come
back as plain dicts for the templates, refusals as the GateError they stand for.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import grpc

from gate_service.proto_convert.errors import from_rpc_error
from spidergate.v1 import invites_pb2 as pb

_TIMEOUT_S = 60.0  # accepting waits for the provider's answer to the key's test


async def _call(method: Any, message: Any, request_id: str) -> Any:
    try:
        return await method(message, metadata=(("x-request-id", request_id),), timeout=_TIMEOUT_S)
    except grpc.aio.AioRpcError as exc:
        raise from_rpc_error(exc) from None


async def open_invite(core: Any, token: str, request_id: str) -> dict[str, Any]:
    answer = await _call(core.invites.OpenInvite, pb.OpenInviteRequest(token=token), request_id)
    return {
        "brand_name": answer.brand_name,
        "provider": answer.provider,
        "provider_name": answer.provider_name,
        "message": answer.message,
        "email": answer.email,
        "expires": datetime.fromtimestamp(answer.expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


async def accept_invite(core: Any, token: str, secret: str, request_id: str) -> dict[str, Any]:
    message = pb.AcceptInviteRequest(token=token, secret=secret)
    answer = await _call(core.invites.AcceptInvite, message, request_id)
    return {
        "brand_name": answer.brand_name,
        "provider": answer.provider,
        "provider_name": answer.provider_name,
        "key_preview": answer.key_preview,
        "revoke_token": answer.revoke_token,
    }


async def revoke_contribution(core: Any, token: str, request_id: str) -> dict[str, Any]:
    message = pb.RevokeContributionRequest(token=token)
    answer = await _call(core.invites.RevokeContribution, message, request_id)
    return {
        "brand_name": answer.brand_name,
        "provider": answer.provider,
        "provider_name": answer.provider_name,
        "key_preview": answer.key_preview,
    }

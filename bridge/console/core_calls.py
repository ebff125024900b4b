"""The console's calls to the core: the same services and methods as the API routes, with
the signed-in credential as the Authorization metadata, so scopes and tenancy are decided
where they are for the API and a page can show nothing the API would not.

The one module of the console that touches generated code (the gRPC edge). Answers are
converted to the API's own JSON shapes (:mod:`gate_service.ledger.json_shapes`), which
the templates read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc

from bridge.console.sessions import SessionKind
from gate_service.auth.tokens import parse_bearer
from gate_service.errors import GateError
from gate_service.ledger.json_shapes import page_to_json
from gate_service.proto_convert.errors import from_rpc_error
from gate_service.proto_convert.usage import page_from_proto, traces_request_from_query
from spidergate.v1 import auth_pb2, vault_pb2

_TIMEOUT_S = 30.0
TRACES_PER_PAGE = 50


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a secret is, as the core says: the session is made from this."""

    kind: SessionKind
    client_id: str
    label: str


def _metadata(secret: str, request_id: str) -> tuple[tuple[str, str], ...]:
    return (("x-request-id", request_id), ("authorization", f"Bearer {secret}"))


async def _call(method: Any, message: Any, secret: str, request_id: str) -> Any:
    """One unary call; the core's refusal comes back as the GateError it stands for."""
    try:
        return await method(message, metadata=_metadata(secret, request_id), timeout=_TIMEOUT_S)
    except grpc.aio.AioRpcError as exc:
        raise from_rpc_error(exc) from None


def _looks_like_token(secret: str) -> bool:
    try:
        parse_bearer(f"Bearer {secret}")
    except GateError:
        return False
    return True


async def identify(core: Any, secret: str, request_id: str) -> Identity:
    """The core's answer for a secret: a brand's credential or an agent token (the
    AuthService says whose), else the operator token (the vault's operator check, the
    cheapest operator-only call). Raises the core's GateError (401) when neither."""
    if _looks_like_token(secret):
        answer = await _call(
            core.auth.Authenticate, auth_pb2.AuthenticateRequest(), secret, request_id
        )
        p = answer.principal
        if p.kind == "agent_token":
            return Identity("agent_token", p.client_id, f"{p.agent_name} ({p.brand_name})")
        return Identity("client_credential", p.client_id, p.brand_name)
    # Not a token's format: only the operator token is left. A brand credential in the
    # vault's operator call would list the brand's keys: excluded above by the format.
    await _call(core.vault.ListKeys, vault_pb2.ListKeysRequest(), secret, request_id)
    return Identity("operator", "", "operator")


async def traces(
    core: Any, secret: str, request_id: str, offset: int, filters: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``GET /traces?limit=50&offset=N`` with the API's filters (``agent``, ``model``,
    ``status``, ``kind``, ``from``, ``to``, ``min_latency_ms``, ``min_cost_usd``, read by
    the API's own parser: a bad value raises its 400 naming the parameter), newest first."""
    message = traces_request_from_query(filters or {})
    message.limit, message.offset = TRACES_PER_PAGE, offset
    answer = await _call(core.usage.ListTraces, message, secret, request_id)
    return page_to_json(page_from_proto(answer), TRACES_PER_PAGE, offset)


async def agent_tokens(core: Any, secret: str, request_id: str) -> list[dict[str, Any]]:
    """The brand's agent tokens (``AuthService.ListAgentTokens``), revoked ones too: what
    the page lists. Holds no token: the core returns its id, name and prefix only."""
    answer = await _call(
        core.auth.ListAgentTokens,
        auth_pb2.ListAgentTokensRequest(include_revoked=True),
        secret,
        request_id,
    )
    return [
        {
            "id": t.id,
            "name": t.name,
            "prefix": t.prefix,
            "scopes": list(t.scopes),
            "created": datetime.fromtimestamp(t.created, UTC).isoformat(timespec="seconds"),
            "revoked": t.revoked > 0,
            "controls": _controls(t.controls),
        }
        for t in answer.tokens
    ]


async def revoke_agent_token(core: Any, secret: str, request_id: str, token_id: str) -> None:
    """``AuthService.RevokeAgentToken`` for a token of the caller's brand."""
    await _call(
        core.auth.RevokeAgentToken,
        auth_pb2.RevokeAgentTokenRequest(id=token_id),
        secret,
        request_id,
    )


def _controls(c: auth_pb2.TokenControls) -> dict[str, Any]:
    """A token's controls for the page: None where there is no limit."""
    return {
        "rpm": c.rpm if c.HasField("rpm") else None,
        "rpd": c.rpd if c.HasField("rpd") else None,
        "budget_usd": c.budget_usd if c.HasField("budget_usd") else None,
        "budget_mode": c.budget_mode or "hard",
        "allowed_models": list(c.allowed_models),
        "free_only": c.free_only,
        "capture": c.capture if c.HasField("capture") else None,
    }

"""The vault's REST routes: ``/vault/keys`` (CRUD, activate, deactivate) and
``/vault/health``. JSON in and out, the documented error envelope; the Authorization
header travels to the core as gRPC metadata, which decides who may do what.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from starlette.requests import Request
from starlette.responses import Response

from bridge.body import read_json
from bridge.core_client import CoreClient
from bridge.responses import (
    REQUEST_ID,
    JSONResponse,
    Metadata,
    call_metadata,
    error_response,
    request_id,
)
from gate_service.auth.tokens import missing_api_key
from gate_service.errors import GateError
from gate_service.proto_convert.errors import from_rpc_error
from gate_service.proto_convert.vault import (
    create_request_from_json,
    health_request_from_query,
    health_to_json,
    key_to_json,
    list_request_from_query,
    update_request_from_json,
)
from spidergate.v1 import vault_pb2 as pb

_TIMEOUT_S = 60.0  # a connection test waits for the provider
Call = Callable[[CoreClient, Metadata], Awaitable[tuple[int, dict[str, Any]]]]


async def _answer(request: Request, call: Call) -> Response:
    """Run one core call and shape its answer or its error."""
    rid = request_id(request)
    try:
        status, body = await call(request.app.state.core, call_metadata(request, rid))
    except GateError as exc:
        return await _refuse(request, exc, rid)
    except grpc.aio.AioRpcError as exc:
        return error_response(from_rpc_error(exc), rid)
    return JSONResponse(body, status_code=status, headers={REQUEST_ID: rid})


async def _refuse(request: Request, error: GateError, rid: str) -> Response:
    """An error the bridge found (body, query), answered in the core's order: the caller's
    401/403 before any 400. The vault's callers (the operator token, a client credential)
    are checked by the vault service itself, not by ``Authenticate``; so on this error
    path only, the bridge asks it for a key with no id: the service checks the caller
    first, then refuses the empty id, which says the caller was fine."""
    if not (request.headers.get("authorization") or "").strip():
        return error_response(missing_api_key(), rid)
    try:
        await request.app.state.core.vault.GetKey(
            pb.GetKeyRequest(key_id=""), metadata=call_metadata(request, rid), timeout=5.0
        )
    except GateError as exc:  # a header no token can have
        return error_response(exc, rid)
    except grpc.aio.AioRpcError as exc:
        refused = from_rpc_error(exc)
        if refused.http_status in (401, 403):
            return error_response(refused, rid)
    return error_response(error, rid)


async def list_keys(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> tuple[int, dict[str, Any]]:
        message = list_request_from_query(request.query_params)
        reply = await core.vault.ListKeys(message, metadata=md, timeout=_TIMEOUT_S)
        return 200, {"object": "list", "data": [key_to_json(k) for k in reply.keys]}

    return await _answer(request, call)


async def create_key(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> tuple[int, dict[str, Any]]:
        message = await read_json(request, create_request_from_json)
        reply = await core.vault.CreateKey(message, metadata=md, timeout=_TIMEOUT_S)
        return 201, key_to_json(reply.key)

    return await _answer(request, call)


async def get_key(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> tuple[int, dict[str, Any]]:
        message = pb.GetKeyRequest(key_id=request.path_params["key_id"])
        reply = await core.vault.GetKey(message, metadata=md, timeout=_TIMEOUT_S)
        return 200, key_to_json(reply.key)

    return await _answer(request, call)


async def update_key(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> tuple[int, dict[str, Any]]:
        key_id = request.path_params["key_id"]
        message = await read_json(request, lambda body: update_request_from_json(key_id, body))
        reply = await core.vault.UpdateKey(message, metadata=md, timeout=_TIMEOUT_S)
        return 200, key_to_json(reply.key)

    return await _answer(request, call)


async def delete_key(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> tuple[int, dict[str, Any]]:
        message = pb.DeleteKeyRequest(key_id=request.path_params["key_id"])
        reply = await core.vault.DeleteKey(message, metadata=md, timeout=_TIMEOUT_S)
        return 200, {"id": reply.key_id, "object": "vault.key", "deleted": reply.deleted}

    return await _answer(request, call)


async def deactivate_key(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> tuple[int, dict[str, Any]]:
        message = pb.DeactivateKeyRequest(key_id=request.path_params["key_id"])
        reply = await core.vault.DeactivateKey(message, metadata=md, timeout=_TIMEOUT_S)
        return 200, key_to_json(reply.key)

    return await _answer(request, call)


async def activate_key(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> tuple[int, dict[str, Any]]:
        message = pb.ActivateKeyRequest(key_id=request.path_params["key_id"])
        reply = await core.vault.ActivateKey(message, metadata=md, timeout=_TIMEOUT_S)
        return 200, key_to_json(reply.key)

    return await _answer(request, call)


async def health_summary(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> tuple[int, dict[str, Any]]:
        message = health_request_from_query(request.query_params)
        reply = await core.vault.GetHealthSummary(message, metadata=md, timeout=_TIMEOUT_S)
        return 200, health_to_json(reply)

    return await _answer(request, call)

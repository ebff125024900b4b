"""The vault's REST routes: ``/vault/keys`` (CRUD, activate, deactivate) and
``/vault/health``. JSON in and out, the documented error envelope; the Authorization
header travels to the core as gRPC metadata, which decides who may do what.
"""

from __future__ import annotations

from typing import Any

import grpc
from starlette.requests import Request
from starlette.responses import Response

from bridge.body import read_json
from bridge.responses import call_metadata, error_response, reply
from bridge.routing import GateRoute
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


def _vault(request: Request) -> Any:
    """The core's vault service (a stub, or its stand-in over several cores)."""
    return request.app.state.core.vault


async def _refuse(request: Request, error: GateError, rid: str) -> Response:
    """An error the bridge found (body, query), answered in the core's order: the caller's
    401/403 before any 400. The vault's callers (the operator token, a client credential)
    are checked by the vault service itself, not by ``Authenticate``; so on this error
    path only, the bridge asks it for a key with no id: the service checks the caller
    first, then refuses the empty id, which says the caller was fine."""
    if not (request.headers.get("authorization") or "").strip():
        return error_response(missing_api_key(), rid)
    try:
        await _vault(request).GetKey(
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
    md = call_metadata(request)
    message = list_request_from_query(request.query_params)
    answer = await _vault(request).ListKeys(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, {"object": "list", "data": [key_to_json(k) for k in answer.keys]})


async def create_key(request: Request) -> Response:
    md = call_metadata(request)
    message = await read_json(request, create_request_from_json)
    answer = await _vault(request).CreateKey(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, key_to_json(answer.key), status=201)


async def get_key(request: Request) -> Response:
    md = call_metadata(request)
    message = pb.GetKeyRequest(key_id=request.path_params["key_id"])
    answer = await _vault(request).GetKey(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, key_to_json(answer.key))


async def update_key(request: Request) -> Response:
    md = call_metadata(request)
    key_id = request.path_params["key_id"]
    message = await read_json(request, lambda body: update_request_from_json(key_id, body))
    answer = await _vault(request).UpdateKey(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, key_to_json(answer.key))


async def delete_key(request: Request) -> Response:
    md = call_metadata(request)
    message = pb.DeleteKeyRequest(key_id=request.path_params["key_id"])
    answer = await _vault(request).DeleteKey(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, {"id": answer.key_id, "object": "vault.key", "deleted": answer.deleted})


async def deactivate_key(request: Request) -> Response:
    md = call_metadata(request)
    message = pb.DeactivateKeyRequest(key_id=request.path_params["key_id"])
    answer = await _vault(request).DeactivateKey(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, key_to_json(answer.key))


async def activate_key(request: Request) -> Response:
    md = call_metadata(request)
    message = pb.ActivateKeyRequest(key_id=request.path_params["key_id"])
    answer = await _vault(request).ActivateKey(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, key_to_json(answer.key))


async def health_summary(request: Request) -> Response:
    md = call_metadata(request)
    message = health_request_from_query(request.query_params)
    answer = await _vault(request).GetHealthSummary(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, health_to_json(answer))


ROUTES = [
    GateRoute("/vault/keys", list_keys, methods=["GET"], refusal=_refuse),
    GateRoute("/vault/keys", create_key, methods=["POST"], refusal=_refuse),
    GateRoute("/vault/keys/{key_id}", get_key, methods=["GET"], refusal=_refuse),
    GateRoute("/vault/keys/{key_id}", update_key, methods=["PATCH"], refusal=_refuse),
    GateRoute("/vault/keys/{key_id}", delete_key, methods=["DELETE"], refusal=_refuse),
    GateRoute("/vault/keys/{key_id}/deactivate", deactivate_key, methods=["POST"], refusal=_refuse),
    GateRoute("/vault/keys/{key_id}/activate", activate_key, methods=["POST"], refusal=_refuse),
    GateRoute("/vault/health", health_summary, methods=["GET"], refusal=_refuse),
]

"""The vault's REST routes: ``/vault/keys`` (CRUD, activate, deactivate) and
``/vault/health``. JSON in and out, the documented error envelope; the Authorization
header travels to the core as gRPC metadata, which decides who may do what.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import orjson
from starlette.requests import Request
from starlette.responses import Response

from bridge.core_client import CoreClient
from bridge.responses import (
    REQUEST_ID,
    JSONResponse,
    Metadata,
    call_metadata,
    error_response,
    request_id,
)
from gate_service.errors import GateError, invalid
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


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise invalid("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    return body


async def _answer(request: Request, call: Call) -> Response:
    """Run one core call and shape its answer or its error."""
    rid = request_id(request)
    try:
        status, body = await call(request.app.state.core, call_metadata(request, rid))
    except GateError as exc:
        return error_response(exc, rid)
    except grpc.aio.AioRpcError as exc:
        return error_response(from_rpc_error(exc), rid)
    return JSONResponse(body, status_code=status, headers={REQUEST_ID: rid})


async def list_keys(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> tuple[int, dict[str, Any]]:
        message = list_request_from_query(request.query_params)
        reply = await core.vault.ListKeys(message, metadata=md, timeout=_TIMEOUT_S)
        return 200, {"object": "list", "data": [key_to_json(k) for k in reply.keys]}

    return await _answer(request, call)


async def create_key(request: Request) -> Response:
    async def call(core: CoreClient, md: Metadata) -> tuple[int, dict[str, Any]]:
        message = create_request_from_json(await _body(request))
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
        body = await _body(request)
        message = update_request_from_json(request.path_params["key_id"], body)
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

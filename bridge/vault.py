"""The vault's REST routes: ``/vault/keys`` (CRUD, activate, deactivate) and
``/vault/health``. JSON in and out, the documented error envelope; the Authorization
header travels to the core as gRPC metadata, which decides who may do what.

A body or query string the bridge cannot type (not JSON, a wrongly typed or unknown field,
a bad flag) goes to the core as is, in the request's ``raw_body`` / ``raw_query``: the
vault service checks the caller first (401, 403), then reads it with the same reader and
answers its 400, in the one call the route makes.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.body import read_json
from bridge.query import read_query
from bridge.responses import call_metadata, reply
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


async def list_keys(request: Request) -> Response:
    md = call_metadata(request)
    message = read_query(
        request, list_request_from_query, lambda raw: pb.ListKeysRequest(raw_query=raw)
    )
    answer = await _vault(request).ListKeys(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, {"object": "list", "data": [key_to_json(k) for k in answer.keys]})


async def create_key(request: Request) -> Response:
    md = call_metadata(request)
    message = await read_json(
        request, create_request_from_json, lambda raw: pb.CreateKeyRequest(raw_body=raw)
    )
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
    message = await read_json(
        request,
        lambda body: update_request_from_json(key_id, body),
        lambda raw: pb.UpdateKeyRequest(key_id=key_id, raw_body=raw),
    )
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
    message = read_query(
        request, health_request_from_query, lambda raw: pb.GetHealthSummaryRequest(raw_query=raw)
    )
    answer = await _vault(request).GetHealthSummary(message, metadata=md, timeout=_TIMEOUT_S)
    return reply(request, health_to_json(answer))


ROUTES = [
    Route("/vault/keys", list_keys, methods=["GET"]),
    Route("/vault/keys", create_key, methods=["POST"]),
    Route("/vault/keys/{key_id}", get_key, methods=["GET"]),
    Route("/vault/keys/{key_id}", update_key, methods=["PATCH"]),
    Route("/vault/keys/{key_id}", delete_key, methods=["DELETE"]),
    Route("/vault/keys/{key_id}/deactivate", deactivate_key, methods=["POST"]),
    Route("/vault/keys/{key_id}/activate", activate_key, methods=["POST"]),
    Route("/vault/health", health_summary, methods=["GET"]),
]

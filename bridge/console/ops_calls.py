"""The operations pages' calls to the core: a trace with its waterfall and captured
messages, minting agent tokens, the vault's keys, health and capacity, and the
playground's streamed chat.

The same services, methods and converters as the API routes (``bridge/usage.py``,
``bridge/vault.py``, ``bridge/analytics.py``), with the signed-in credential, so the
core decides who may do what exactly as for the API. A module of its own beside
:mod:`bridge.console.core_calls` (whose ``_call`` it reuses) so that the console's
operations pages and its analytics pages grow without editing one file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc

from bridge.console.core_calls import _call, _metadata
from gate_service.auth.principal import TokenControls
from gate_service.errors import GateError
from gate_service.ledger.analytics_json import capacity_to_json
from gate_service.ledger.json_shapes import (
    content_to_json,
    record_to_json,
    span_to_json,
    usage_to_json,
)
from gate_service.proto_convert.analytics import capacity_from_proto
from gate_service.proto_convert.auth import MASK_FIELDS, controls_to_proto
from gate_service.proto_convert.completion import chunk_from_proto
from gate_service.proto_convert.errors import from_rpc_error
from gate_service.proto_convert.request_json import request_to_proto
from gate_service.proto_convert.usage import (
    content_from_proto,
    record_from_proto,
    span_from_proto,
    usage_from_proto,
)
from gate_service.proto_convert.vault import (
    create_request_from_json,
    health_to_json,
    key_to_json,
    update_request_from_json,
)
from spidergate.v1 import auth_pb2, catalog_pb2, stream_pb2, usage_pb2, vault_pb2


async def trace_detail(core: Any, secret: str, request_id: str, trace_id: str) -> dict[str, Any]:
    """``GET /traces/{id}`` whole: the record, its attempts, its spans and, when capture
    was on, its messages (404 outside the caller's scope, as the API)."""
    answer = await _call(
        core.usage.GetTrace, usage_pb2.GetTraceRequest(trace_id=trace_id), secret, request_id
    )
    body = record_to_json(record_from_proto(answer.trace), attempts=True)
    body["spans"] = [span_to_json(span_from_proto(s)) for s in answer.spans]
    body.update(content_to_json(content_from_proto(answer.content)))
    return body


async def mint_agent_token(
    core: Any,
    secret: str,
    request_id: str,
    name: str,
    scopes: list[str],
    controls: TokenControls,
) -> dict[str, Any]:
    """``AuthService.MintAgentToken``: the answer holds the token's secret, shown once by
    the page that asked and kept nowhere by the console."""
    answer = await _call(
        core.auth.MintAgentToken,
        auth_pb2.MintAgentTokenRequest(
            name=name, scopes=scopes, controls=controls_to_proto(controls)
        ),
        secret,
        request_id,
    )
    t = answer.token
    return {"id": t.id, "name": t.name, "scopes": list(t.scopes), "token": t.token}


async def update_agent_token(
    core: Any,
    secret: str,
    request_id: str,
    token_id: str,
    controls: TokenControls,
    scopes: list[str],
) -> None:
    """``AuthService.UpdateAgentToken`` with every control and the scopes: the edit form
    shows them all, so what it sends is the token's whole new state (a blank limit is
    no limit)."""
    await _call(
        core.auth.UpdateAgentToken,
        auth_pb2.UpdateAgentTokenRequest(
            id=token_id,
            controls=controls_to_proto(controls),
            scopes=scopes,
            update_mask=list(MASK_FIELDS),
        ),
        secret,
        request_id,
    )


async def usage_by_agent(core: Any, secret: str, request_id: str) -> dict[str, dict[str, Any]]:
    """The last 30 days of ``GET /usage``'s ``by_agent``, keyed by agent name."""
    start = datetime.now(UTC).timestamp() - 30 * 86400
    answer = await _call(
        core.usage.GetUsage,
        usage_pb2.GetUsageRequest(start_time_ms=int(start * 1000)),
        secret,
        request_id,
    )
    body = usage_to_json(usage_from_proto(answer))
    return {g["agent"]: g for g in body["by_agent"] if g.get("agent")}


async def vault_keys(core: Any, secret: str, request_id: str, pool: bool) -> list[dict[str, Any]]:
    """``GET /vault/keys`` (with the pool for a brand, when asked)."""
    answer = await _call(
        core.vault.ListKeys, vault_pb2.ListKeysRequest(include_pool=pool), secret, request_id
    )
    return [key_to_json(k) for k in answer.keys]


async def vault_health(core: Any, secret: str, request_id: str, pool: bool) -> dict[str, Any]:
    """``GET /vault/health``: each key's live state, failures, cooldown, spend and last
    error, and each provider's recommendation."""
    answer = await _call(
        core.vault.GetHealthSummary,
        vault_pb2.GetHealthSummaryRequest(include_pool=pool),
        secret,
        request_id,
    )
    return health_to_json(answer)


async def capacity(core: Any, secret: str, request_id: str) -> dict[str, Any]:
    """``GET /capacity`` over its default window."""
    answer = await _call(core.usage.GetCapacity, usage_pb2.GetCapacityRequest(), secret, request_id)
    return capacity_to_json(*capacity_from_proto(answer))


async def create_key(
    core: Any, secret: str, request_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """``POST /vault/keys`` with the API's body (``test_connection`` included): the core
    validates it and, when asked, tests the key against the provider first."""
    message = create_request_from_json(body)
    answer = await _call(core.vault.CreateKey, message, secret, request_id)
    return key_to_json(answer.key)


async def update_key(
    core: Any, secret: str, request_id: str, key_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """``PATCH /vault/keys/{id}`` with the API's body."""
    message = update_request_from_json(key_id, body)
    answer = await _call(core.vault.UpdateKey, message, secret, request_id)
    return key_to_json(answer.key)


async def key_action(core: Any, secret: str, request_id: str, key_id: str, action: str) -> None:
    """Activate, deactivate or delete a key (``POST /vault/keys/{id}/activate`` etc.)."""
    method, message = {
        "activate": (core.vault.ActivateKey, vault_pb2.ActivateKeyRequest(key_id=key_id)),
        "deactivate": (core.vault.DeactivateKey, vault_pb2.DeactivateKeyRequest(key_id=key_id)),
        "delete": (core.vault.DeleteKey, vault_pb2.DeleteKeyRequest(key_id=key_id)),
    }[action]
    await _call(method, message, secret, request_id)


async def aliases(core: Any, secret: str, request_id: str) -> list[str]:
    """``GET /aliases``' ids: what the playground offers to send a chat through."""
    answer = await _call(
        core.catalog.ListAliases, catalog_pb2.ListAliasesRequest(), secret, request_id
    )
    return [a.id for a in answer.aliases]


@dataclass
class ChatPiece:
    """One piece of a streamed answer: text, or (at the end) the model and usage."""

    text: str = ""
    model: str = ""
    usage: dict[str, Any] | None = None


async def stream_chat(
    core: Any, secret: str, request_id: str, model: str, message: str
) -> AsyncIterator[ChatPiece]:
    """``POST /chat/completions`` with ``stream: true`` through the core's stream, as the
    API's chat route sends it: a refusal before the first chunk raises its GateError
    (before the caller has answered anything); a failure later is one last piece saying
    so. The trace of the request is ``request_id``."""
    chat = request_to_proto(
        {
            "model": model,
            "messages": [{"role": "user", "content": message}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    )
    call = core.stream.StreamChatCompletion(
        stream_pb2.StreamChatCompletionRequest(request=chat),
        metadata=_metadata(secret, request_id),
    )
    try:
        first = await call.read()
    except grpc.aio.AioRpcError as exc:
        raise from_rpc_error(exc) from None
    if first is grpc.aio.EOF:
        raise GateError("upstream_error", "The upstream ended the stream without any chunk.")
    return _pieces(call, first)


async def _pieces(call: Any, first: Any) -> AsyncIterator[ChatPiece]:
    message = first
    try:
        while message is not grpc.aio.EOF:
            for chunk in message.chunks:
                text = "".join(c.delta.content for c in chunk.choices)
                usage = chunk_from_proto(chunk).get("usage") if chunk.HasField("usage") else None
                yield ChatPiece(text=text, model=chunk.model, usage=usage)
            message = await call.read()
    except grpc.aio.AioRpcError as exc:
        yield ChatPiece(text=f"\n[stream failed: {from_rpc_error(exc).message}]")
    finally:
        call.cancel()


async def trace_cost(core: Any, secret: str, request_id: str, trace_id: str) -> float | None:
    """The cost of a trace once the ledger has it (its writer batches behind the request
    path), waiting up to about three seconds; None if it is not there yet."""
    for _ in range(15):
        try:
            answer = await _call(
                core.usage.GetTrace,
                usage_pb2.GetTraceRequest(trace_id=trace_id),
                secret,
                request_id,
            )
        except GateError as exc:
            if exc.http_status != 404:
                raise
            await asyncio.sleep(0.2)
            continue
        return float(answer.trace.cost_usd)
    return None

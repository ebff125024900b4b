"""A gRPC client that sends the input the HTTP bridge forwards when it cannot type it
(``raw_query``, ``raw_body``) gets the same validation the REST client gets: the caller
first (401, 403), then the 400 of the bridge's own parser, word for word and naming the
same parameter, with the token's ``X-RateLimit-*`` in the error's headers. A readable
``raw_query`` is the request: it replaces the typed fields."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import grpc
import pytest

from gate_service.auth.principal import TokenControls
from gate_service.catalog.snapshot import parse_model_query
from gate_service.errors import GateError
from gate_service.proto_convert.untyped import parse_json, query_params
from gate_service.proto_convert.usage import traces_request_from_query, usage_request_from_query
from gate_service.proto_convert.vault import (
    create_request_from_json,
    health_request_from_query,
    list_request_from_query,
    update_request_from_json,
)
from spidergate.v1 import (
    catalog_pb2,
    catalog_pb2_grpc,
    usage_pb2,
    usage_pb2_grpc,
    vault_pb2,
    vault_pb2_grpc,
)
from tests.e2e.grpc_api.support import TIMEOUT, bearer, rich_error
from tests.stack import Stack

LIMIT = "X-RateLimit-Limit-Requests"


def _limited(stack: Stack, brand: tuple[str, str]) -> str:
    """An agent token with request limits (every scope), so its answers carry headers."""
    name = f"agent-raw-{uuid.uuid4().hex[:8]}"
    _, token = stack.core.identity.mint_token(brand[0], name, None, TokenControls(rpm=9))
    return str(token)


def _bridge_error(read: Callable[[], Any]) -> GateError:
    """The 400 the bridge's own reader raises for the same input."""
    with pytest.raises(GateError) as caught:
        read()
    return caught.value


def _refused(call: Callable[..., Any], message: Any, metadata: Any) -> Any:
    with pytest.raises(grpc.RpcError) as caught:
        call(message, metadata=metadata, timeout=TIMEOUT)
    detail, _ = rich_error(caught.value)
    return detail


# (service, method, request, the bridge's reading of the same input, agent token?)
CASES = [
    (
        "usage",
        "GetUsage",
        usage_pb2.GetUsageRequest(raw_query="bucket=week"),
        lambda: usage_request_from_query(query_params("bucket=week")),
        True,
    ),
    (
        "usage",
        "ListTraces",
        usage_pb2.ListTracesRequest(raw_query="limit=0&agent=a"),
        lambda: traces_request_from_query(query_params("limit=0&agent=a")),
        True,
    ),
    (
        "catalog",
        "ListModels",
        catalog_pb2.ListModelsRequest(raw_query="sort_by=mood"),
        lambda: parse_model_query(query_params("sort_by=mood")),
        True,
    ),
    (
        "vault",
        "ListKeys",
        vault_pb2.ListKeysRequest(raw_query="active=maybe"),
        lambda: list_request_from_query(query_params("active=maybe")),
        False,
    ),
    (
        "vault",
        "GetHealthSummary",
        vault_pb2.GetHealthSummaryRequest(raw_query="include_pool=2"),
        lambda: health_request_from_query(query_params("include_pool=2")),
        False,
    ),
    (
        "vault",
        "CreateKey",
        vault_pb2.CreateKeyRequest(provider="groq", raw_body=b'{"provider": 7}'),
        lambda: parse_json(b'{"provider": 7}', 64, create_request_from_json),
        False,
    ),
    (
        "vault",
        "CreateKey",
        vault_pb2.CreateKeyRequest(raw_body=b""),  # set, though empty: not JSON
        lambda: parse_json(b"", 64, create_request_from_json),
        False,
    ),
    (
        "vault",
        "UpdateKey",
        vault_pb2.UpdateKeyRequest(key_id="vk_x", raw_body=b'{"nope": 1}'),
        lambda: parse_json(b'{"nope": 1}', 64, lambda b: update_request_from_json("vk_x", b)),
        False,
    ),
]


def _stub(channel: grpc.Channel, service: str) -> Any:
    stubs = {
        "usage": usage_pb2_grpc.UsageServiceStub,
        "catalog": catalog_pb2_grpc.CatalogServiceStub,
        "vault": vault_pb2_grpc.VaultServiceStub,
    }
    return stubs[service](channel)


@pytest.mark.parametrize(("service", "method", "message", "bridge", "agent"), CASES)
def test_raw_input_is_read_after_the_caller_as_the_bridge_reads_it(
    channel: grpc.Channel,
    stack: Stack,
    brand: tuple[str, str],
    service: str,
    method: str,
    message: Any,
    bridge: Callable[[], Any],
    agent: bool,
) -> None:
    call = getattr(_stub(channel, service), method)
    expected = _bridge_error(bridge)
    caller = _limited(stack, brand) if agent else brand[1]
    detail = _refused(call, message, bearer(caller))
    assert (detail.http_status, detail.code) == (400, "invalid_request")
    assert (detail.message, detail.param) == (expected.message, expected.param or "")
    if agent:  # a client credential has no request limits of its own
        assert detail.headers[LIMIT] == "9"
    # The caller comes first: a forged token is the 401, whatever the input.
    forged = _refused(call, message, bearer("spideriq_pat_" + "0" * 32))
    assert forged.http_status == 401
    if service == "vault":  # an agent token may not touch the vault: 403 before the 400
        denied = _refused(call, message, bearer(_limited(stack, brand)))
        assert (denied.http_status, denied.code) == (403, "permission_denied")


def test_a_readable_raw_query_replaces_the_typed_fields(channel: grpc.Channel) -> None:
    catalog = catalog_pb2_grpc.CatalogServiceStub(channel)
    request = catalog_pb2.ListModelsRequest(limit=1, provider="nope", raw_query="limit=2")
    reply = catalog.ListModels(request, timeout=TIMEOUT)
    assert len(reply.models) == 2

"""Helpers of the gRPC client tests: requests, calls, and reading the rich error status
(``ErrorDetail`` + ``ErrorInfo`` in ``grpc-status-details-bin``) back."""

from __future__ import annotations

import re
from typing import Any

import grpc
import orjson
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from spidergate.v1 import (
    chat_pb2,
    chat_pb2_grpc,
    common_pb2,
    stream_pb2,
    stream_pb2_grpc,
)

SPIDERGATE_SERVICES = (
    "spidergate.v1.ChatService",
    "spidergate.v1.StreamService",
    "spidergate.v1.CatalogService",
    "spidergate.v1.AuthService",
    "spidergate.v1.VaultService",
    "spidergate.v1.UsageService",
)
AGENT_TOKEN_RE = re.compile(r"spideriq_pat_[0-9a-f]{32}")
TIMEOUT = 30

Metadata = tuple[tuple[str, str | bytes], ...]  # what the grpc stubs take


# ------------------------------------------------------------------------------ helpers


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def chat_request(
    model: str = "spideriq/fast", content: str = "Say hello in three languages.", **fields: Any
) -> common_pb2.ChatCompletionRequest:
    return common_pb2.ChatCompletionRequest(
        model=model,
        messages=[
            common_pb2.ChatMessage(role="system", text="You are a concise assistant."),
            common_pb2.ChatMessage(role="user", text=content),
        ],
        **fields,
    )


def rich_error(
    exc: grpc.RpcError,
) -> tuple[common_pb2.ErrorDetail, error_details_pb2.ErrorInfo]:
    """The ErrorDetail and ErrorInfo packed in the call's google.rpc.Status."""
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    assert status is not None, "no grpc-status-details-bin on the failed call"
    assert status.code == exc.code().value[0]
    assert status.message == exc.details()
    detail, info = common_pb2.ErrorDetail(), error_details_pb2.ErrorInfo()
    found = set()
    for any_detail in status.details:
        if any_detail.Is(common_pb2.ErrorDetail.DESCRIPTOR):
            any_detail.Unpack(detail)
            found.add("detail")
        elif any_detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            any_detail.Unpack(info)
            found.add("info")
    assert found == {"detail", "info"}, f"details packed: {found}"
    assert info.reason == detail.code
    assert info.domain == "spidergate.ai"
    assert detail.message == exc.details()
    return detail, info


def rest_envelope(detail: common_pb2.ErrorDetail) -> dict[str, Any]:
    """The REST error body the bridge must build from this detail."""
    extra = orjson.loads(detail.body_json) if detail.body_json else {}
    return {
        "error": {
            "type": detail.type,
            "code": detail.code,
            "message": detail.message,
            "param": detail.param or None,
        },
        **extra,
    }


def complete(
    chat: chat_pb2_grpc.ChatServiceStub, req: common_pb2.ChatCompletionRequest, md: Metadata
) -> chat_pb2.CreateChatCompletionResponse:
    return chat.CreateChatCompletion(
        chat_pb2.CreateChatCompletionRequest(request=req), metadata=md, timeout=TIMEOUT
    )


def stream_all(
    stream: stream_pb2_grpc.StreamServiceStub, req: common_pb2.ChatCompletionRequest, md: Metadata
) -> list[stream_pb2.StreamChatCompletionResponse]:
    return list(
        stream.StreamChatCompletion(
            stream_pb2.StreamChatCompletionRequest(request=req), metadata=md, timeout=TIMEOUT
        )
    )

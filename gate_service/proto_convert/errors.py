"""GateError ⇄ gRPC status with an ``ErrorDetail`` packed in ``google.rpc.Status``.

The core aborts with ``to_status``; the bridge (or any Python gRPC client) reads the same
error back with ``from_rpc_error``, so REST and gRPC clients see one error for one fault.
"""

from __future__ import annotations

from typing import Any

import grpc
import orjson
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from gate_service.errors import CATALOGUE, GateError
from spidergate.v1 import common_pb2 as pb

ERROR_DOMAIN = "spidergate.ai"


def to_status(error: GateError) -> grpc.Status:
    """The rich gRPC status for an error: code from the catalogue, detail with everything."""
    detail = pb.ErrorDetail(
        code=error.code,
        type=error.reason.type,
        message=error.message,
        param=error.param or "",
        http_status=error.http_status,
        headers=error.headers,
        body_json=orjson.dumps(error.body) if error.body else b"",
    )
    info = error_details_pb2.ErrorInfo(reason=error.code, domain=ERROR_DOMAIN)
    status = status_pb2.Status(code=error.reason.grpc_code.value[0], message=error.message)
    status.details.add().Pack(detail)
    status.details.add().Pack(info)
    return rpc_status.to_status(status)


def from_detail(detail: pb.ErrorDetail) -> GateError:
    body: dict[str, Any] = orjson.loads(detail.body_json) if detail.body_json else {}
    code = detail.code if detail.code in CATALOGUE else "internal_error"
    return GateError(
        code,
        detail.message,
        param=detail.param or None,
        headers=dict(detail.headers),
        body=body,
        status=detail.http_status or None,
    )


def from_rpc_error(error: grpc.aio.AioRpcError | grpc.RpcError) -> GateError:
    """Read a GateError back from a failed call; transport failures become 503."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    if status is not None:
        for any_detail in status.details:
            if any_detail.Is(pb.ErrorDetail.DESCRIPTOR):
                detail = pb.ErrorDetail()
                any_detail.Unpack(detail)
                return from_detail(detail)
    code = error.code() if hasattr(error, "code") else None
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return GateError("service_unavailable", "The gateway core is not reachable.")
    if code == grpc.StatusCode.CANCELLED:
        return GateError("service_unavailable", "The request was cancelled.")
    return GateError("internal_error", "Internal error in the gateway core.")

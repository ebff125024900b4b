"""The error catalogue maps every reason to HTTP and gRPC, and survives the gRPC hop."""

from __future__ import annotations

import grpc
import pytest

from gate_service.errors import CATALOGUE, GateError
from gate_service.proto_convert.errors import from_detail, to_status
from spidergate.v1 import common_pb2

SPEC_CODES = {
    "invalid_request": 400,
    "missing_api_key": 401,
    "invalid_token_format": 401,
    "invalid_api_key": 401,
    "budget_exceeded": 402,
    "model_not_allowed": 403,
    "insufficient_scope": 403,
    "model_not_found": 404,
    "no_qualifying_model": 422,
    "rate_limit_exceeded": 429,
    "daily_rate_limit_exceeded": 429,
    "upstream_error": 502,
    "all_providers_failed": 502,
    "service_unavailable": 503,
    "no_openai_key": 503,
    "request_too_large": 413,
    "overloaded": 503,
    "upstream_timeout": 504,
}
OPENAI_TYPES = {
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "not_found_error",
    "rate_limit_error",
    "insufficient_quota",
    "api_error",
}


def test_every_spec_code_is_in_the_catalogue_with_its_status() -> None:
    for code, status in SPEC_CODES.items():
        assert CATALOGUE[code].http_status == status, code


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_reason_has_both_mappings(code: str) -> None:
    reason = CATALOGUE[code]
    assert 400 <= reason.http_status < 600
    assert reason.type in OPENAI_TYPES
    assert isinstance(reason.grpc_code, grpc.StatusCode)
    assert reason.grpc_code is not grpc.StatusCode.OK


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_error_round_trips_through_the_grpc_status(code: str) -> None:
    error = GateError(code, "something happened", param="p", body={"spidergate_error": {"x": 1}})
    status = to_status(error)
    assert status.code is CATALOGUE[code].grpc_code
    from google.rpc import status_pb2

    raw = dict(status.trailing_metadata)["grpc-status-details-bin"]
    details = status_pb2.Status.FromString(raw).details
    detail = common_pb2.ErrorDetail()
    assert details[0].Unpack(detail)
    back = from_detail(detail)
    assert back.envelope() == error.envelope()
    assert back.http_status == error.http_status
    assert back.headers == error.headers


def test_unauthenticated_errors_carry_www_authenticate() -> None:
    for code in ("missing_api_key", "invalid_token_format", "invalid_api_key"):
        assert GateError(code, "x").headers["WWW-Authenticate"] == "Bearer"


def test_unknown_code_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        GateError("not_a_code", "x")


def test_envelope_shape() -> None:
    env = GateError("model_not_found", "nope", param="model").envelope()
    assert env == {
        "error": {
            "type": "not_found_error",
            "code": "model_not_found",
            "message": "nope",
            "param": "model",
        }
    }

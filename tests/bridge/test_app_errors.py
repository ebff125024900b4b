"""Whatever goes wrong in the bridge ends in the documented envelope: an unexpected
exception is a 500 ``internal_error`` (never Starlette's plain-text page), a ``GateError``
no handler caught is answered as itself, and the bounds are wired from the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import grpc
import httpx
import pytest

from bridge.app import create_app
from gate_service.config import Settings
from gate_service.errors import GateError
from gate_service.proto_convert.errors import to_status
from gate_service.proto_convert.untyped import parse_json
from gate_service.proto_convert.vault import create_request_from_json


class _Broken:
    """A stand-in core whose every call fails with ``error`` (not a gRPC error)."""

    def __init__(self, error: Exception) -> None:
        self._error = error

    def __getattr__(self, name: str) -> Any:
        return self

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise self._error

    async def close(self) -> None:
        return None


async def _client(core: Any, settings: Settings | None = None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(client_factory=lambda: core, settings=settings)
    app.state.core = core  # ASGITransport runs no lifespan
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


@pytest.fixture
async def broken() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(_Broken(RuntimeError("a bug"))):
        yield client


@pytest.mark.parametrize(
    "path", ["/v1/models", "/v1/aliases", "/v1/providers", "/v1/usage", "/api/gate/v1/traces"]
)
async def test_an_unexpected_exception_is_a_500_in_the_envelope(
    broken: httpx.AsyncClient, path: str
) -> None:
    r = await broken.get(path, headers={"X-Request-Id": "req-1"})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-request-id"] == "req-1"
    assert r.json() == {
        "error": {
            "type": "api_error",
            "code": "internal_error",
            "message": "Internal error in the gateway bridge.",
            "param": None,
        }
    }


async def test_an_unexpected_exceptions_500_carries_cors_headers(
    broken: httpx.AsyncClient,
) -> None:
    """Starlette answers it outside every middleware; bridge/cors.py answers it first."""
    r = await broken.get("/v1/models", headers={"Origin": "https://ui.example"})
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal_error"
    assert r.headers["access-control-allow-origin"] == "*"


async def test_a_gate_error_no_handler_caught_is_answered_as_itself() -> None:
    async for client in _client(_Broken(GateError("not_found", "gone", param="id"))):
        r = await client.get("/v1/models/x")
        assert r.status_code == 404
        assert r.json()["error"] == {
            "type": "not_found_error",
            "code": "not_found",
            "message": "gone",
            "param": "id",
        }


class _Vault:
    """A stand-in core whose vault notes what it is sent and reads a forwarded body as the
    real vault service does with the same settings (``spidergate serve`` shares them)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.sent: list[Any] = []

    @property
    def vault(self) -> _Vault:
        return self

    async def CreateKey(self, message: Any, **kwargs: Any) -> Any:
        self.sent.append(message)
        try:
            parse_json(message.raw_body, self._settings.max_json_depth, create_request_from_json)
        except GateError as exc:
            refused = to_status(exc)
            raise grpc.aio.AioRpcError(
                refused.code,
                grpc.aio.Metadata(),
                grpc.aio.Metadata(*refused.trailing_metadata),
                refused.details,
            ) from None
        raise AssertionError("a body the bridge forwarded was readable")

    async def close(self) -> None:
        return None


async def test_the_bounds_come_from_the_settings() -> None:
    settings = replace(Settings(), max_body_bytes=100, max_json_depth=3)
    core = _Vault(settings)
    async for client in _client(core, settings):
        r = await client.post("/v1/chat/completions", content=b"x" * 101)
        assert (r.status_code, r.json()["error"]["code"]) == (413, "request_too_large")
        assert "100 bytes" in r.json()["error"]["message"]
        # The vault's routes forward a body they cannot type (too deep for the bridge's
        # bound) as is; the core reads it with the same bound and names the path.
        r = await client.post(
            "/v1/vault/keys", content=b'{"a": [[[1]]]}', headers={"Authorization": "Bearer x"}
        )
        assert (r.status_code, r.json()["error"]["param"]) == (400, "a[0][0]")
        assert [m.raw_body for m in core.sent] == [b'{"a": [[[1]]]}']

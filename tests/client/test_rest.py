"""The REST client's pure parts: the API base from a gateway address, query values as
the API reads them, path segments, and a refusal read into ApiError whatever its body
(the end-to-end behaviour is in tests/e2e/test_mcp.py and tests/cli/test_client.py)."""

from __future__ import annotations

import httpx
import pytest

from gate_service.client.rest import ApiError, _error, _params, _segment, api_base


def test_api_base() -> None:
    assert api_base("http://127.0.0.1:8080") == "http://127.0.0.1:8080/api/gate/v1"
    assert api_base("https://gw.example/") == "https://gw.example/api/gate/v1"
    assert api_base("https://gw.example/v1/") == "https://gw.example/v1"
    for bad in ("127.0.0.1:8080", "ftp://gw.example", "http://"):
        with pytest.raises(ValueError):
            api_base(bad)


def test_query_values_as_the_api_reads_them() -> None:
    query = {"compare": True, "configured_only": False, "limit": 5, "from": None, "q": "a b"}
    assert _params(query) == {
        "compare": "true",
        "configured_only": "false",
        "limit": "5",
        "q": "a b",
    }


def test_path_segments() -> None:
    assert _segment("spideriq/tool-use") == "spideriq/tool-use"
    assert _segment("client:acme/leaf x?") == "client:acme/leaf%20x%3F"


def test_a_refusal_keeps_the_envelope() -> None:
    envelope = {
        "error": {
            "type": "permission_error",
            "code": "permission_denied",
            "message": "no",
            "param": None,
        },
        "extra": 1,
    }
    error = _error(httpx.Response(403, json=envelope), httpx.Response(403, json=envelope).content)
    assert (error.status, error.code, error.message) == (403, "permission_denied", "no")
    assert error.as_json() == {"status": 403, **envelope}


def test_a_refusal_without_our_envelope() -> None:
    error = _error(httpx.Response(502), b"<html>Bad gateway</html>")
    assert (error.status, error.code) == (502, "http_error")
    assert error.envelope["error"]["message"] == "<html>Bad gateway</html>"
    assert isinstance(ApiError(500, {}).message, str)

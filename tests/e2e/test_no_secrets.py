"""No provider secret (nor a client token) appears in any log line, error, trace or API
answer, after a run with faults in all three wire formats."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.stack import Stack

SECRETS = {
    "groq": "gsk_SECRETgroqKEY_0123456789abcdef",
    "anthropic": "sk-ant-SECRETanthropicKEY_0123456789",
    "google_ai": "AIzaSECRETgeminiKEY_0123456789abcdef",
}
MODELS = {
    "groq": "groq/llama-3.1-8b-instant",
    "anthropic": "anthropic/claude-3-5-haiku-latest",
    "google_ai": "google_ai/gemini-2.0-flash",
}
FAULTS: list[dict[str, Any]] = [  # the mock's fault rules, JSON
    {"kind": "error", "status": 401},
    {"kind": "error", "status": 429, "headers": {"Retry-After": "1"}},
    {"kind": "error", "status": 500},
    {"kind": "reset"},
    {"kind": "stream_cut", "after_chunks": 2},
    {"kind": "malformed_sse", "after_chunks": 1},
    {"kind": "error", "status": 400, "message": "bad request"},
]


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@pytest.fixture
def logs() -> Iterator[Capture]:
    handler = Capture()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old)


def test_no_secret_leaks_anywhere(
    stack: Stack, brand: tuple[str, str], token: str, logs: Capture, add_key: Callable[..., Any]
) -> None:
    for provider, secret in SECRETS.items():
        add_key(provider, secret, client_id=brand[0], base_url=f"{stack.mock.url}/{provider}/v1")
    stack.core.router.health.clear()
    seen: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    for rule in FAULTS:
        for provider, secret in SECRETS.items():
            httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
            httpx.post(
                stack.mock.url + "/__mock/faults", json={**rule, "match": {"key": secret}}
            ).raise_for_status()
            for stream in (False, True):
                body = {
                    "model": MODELS[provider],
                    "stream": stream,
                    "messages": [{"role": "user", "content": "[mock:words=10] hi"}],
                }
                r = httpx.post(
                    stack.base_url + "/chat/completions?include_route_trace=true",
                    json=body,
                    headers=headers,
                    timeout=30,
                )
                seen.append(r.text)
                seen.append(str(dict(r.headers)))
            stack.core.router.health.clear()
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    # A bad client token, the catalog, and every listing a client can read.
    for path in ("/providers", "/models?limit=2000", "/aliases", "/health"):
        seen.append(httpx.get(stack.base_url + path, headers=headers).text)
    r = httpx.post(
        stack.base_url + "/chat/completions",
        json={},
        headers={"Authorization": "Bearer " + token[:-1] + "x"},
    )
    seen.append(r.text)
    # The secrets did reach the upstream (so the test is not vacuous)...
    upstream_keys = {rec.key for rec in stack.mock.state.records}
    assert set(SECRETS.values()) <= upstream_keys
    # ...and nowhere else.
    haystack = "\n".join(seen + logs.lines)
    for secret in [*SECRETS.values(), token, brand[1].split(":")[2]]:
        assert secret not in haystack
        assert secret[4:-3] not in haystack  # not even the middle of it
    assert logs.lines  # logging was on

"""A provider that echoes the key it was sent leaks it nowhere (issue 8, item 7).

The mock answers with an error whose message carries the key, as real providers do
("Incorrect API key provided: gsk_..."), as a 400 (the client's request is "bad": its
message goes back in the 400 body), a 401 and a 500 (the key fails over; the 502 lists
the attempts), streaming and not, in all three wire formats. The keys are the operator's
pool keys and a brand's key shared into the pool, and the requests come from *another*
brand. None of the keys, nor a fragment of one, may appear in the client's body or
headers, the route trace, ``GET /traces/{id}``, the core's logs or ``/metrics``; the
echoed sentence does arrive, redacted, so the test is not vacuous.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gate_service.vault import KeyPatch
from tests.e2e.browser_support import Capture, captured_logs
from tests.stack import Stack, make_settings

OPERATOR = "op-token-for-the-leak-tests"
POOL = {
    "groq": "gsk_POOLgroqSECRET_0123456789abcdefXYZ",
    "anthropic": "sk-ant-POOLanthropicSECRET_0123456789",
    "google_ai": "AIzaPOOLgeminiSECRET_0123456789abcdefg",
}
# Not a well-known format: only the index of known secrets can catch this one.
SHARED = "plain-shared-brand-secret-7f3a9c1e5b"
MODELS = {
    "groq": "groq/llama-3.1-8b-instant",
    "anthropic": "anthropic/claude-3-5-haiku-latest",
    "google_ai": "google_ai/gemini-2.0-flash",
}
ECHO = "Incorrect API key provided: {key}. Check it at https://example.com/keys"


@pytest.fixture(scope="module")
def logs() -> Iterator[Capture]:
    yield from captured_logs()


@pytest.fixture(scope="module")
def lstack(tmp_path_factory: pytest.TempPathFactory, logs: Capture) -> Iterator[Stack]:
    """A gateway with no demo keys: only the keys each test adds can serve."""
    settings = make_settings(Path(tmp_path_factory.mktemp("leak-gateway")))
    s = Stack(dataclasses.replace(settings, operator_token=OPERATOR)).start(demo=False)
    yield s
    s.stop()


def _fault(stack: Stack, key: str, status: int) -> None:
    httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    rule = {"kind": "error", "status": status, "message": ECHO.format(key=key)}
    httpx.post(stack.mock.url + "/__mock/faults", json={**rule, "match": {"key": key}})


def _chat(stack: Stack, token: str, model: str, stream: bool) -> httpx.Response:
    return httpx.post(
        stack.base_url + "/chat/completions?include_route_trace=true",
        json={"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _assert_absent(secrets: list[str], haystack: str) -> None:
    for secret in secrets:
        assert secret not in haystack
        assert secret[5:-4] not in haystack  # not even the middle of it
        assert secret[-14:] not in haystack  # nor its end


def test_an_echoed_key_leaks_nowhere(lstack: Stack, logs: Capture) -> None:
    stack = lstack
    identity = stack.core.identity
    owner, _ = identity.create_brand("leak-owner")
    caller, credential = identity.create_brand("leak-caller")
    token = str(identity.mint_token(caller.client_id, "agent", None)[1])
    keys: list[tuple[str, str | None]] = []  # (id, owner) of every key the test adds
    for provider, secret in POOL.items():
        view = stack.core.key_store.add_key(
            provider, secret, base_url=f"{stack.mock.url}/{provider}/v1"
        )
        keys.append((view.id, None))
    # A brand key shared into the pool: it serves the other brand after its own keys.
    shared = stack.core.key_store.add_key(
        "groq", SHARED, client_id=owner.client_id, base_url=f"{stack.mock.url}/groq/v1"
    )
    stack.core.key_store.update_key(shared.id, owner.client_id, KeyPatch(shared=True, priority=0))
    keys.append((shared.id, owner.client_id))
    stack.run(stack.core.refresh())

    def fresh_keys() -> None:
        """Every case starts with healthy keys: a 401 marks its key invalid, in the
        database too (it outlives a restart); switching it off and on clears that."""
        for key_id, key_owner in keys:
            stack.core.key_store.set_active(key_id, key_owner, False)
            stack.core.key_store.set_active(key_id, key_owner, True)
        stack.run(stack.core.refresh())
        stack.core.router.health.clear()

    seen: list[str] = []
    request_ids: list[str] = []
    cases = [(p, s) for p, s in POOL.items()] + [("groq", SHARED)]
    try:
        for provider, secret in cases:
            for status in (400, 401, 500):
                for stream in (False, True):
                    fresh_keys()
                    _fault(stack, secret, status)
                    # Only the echoing key may serve: the other groq key is told to fail
                    # plainly, so the request reaches the echoing one whatever the order.
                    for other_provider, other in [*POOL.items(), ("groq", SHARED)]:
                        if other != secret and other_provider == provider:
                            rule = {"kind": "error", "status": 500, "match": {"key": other}}
                            httpx.post(stack.mock.url + "/__mock/faults", json=rule)
                    r = _chat(stack, token, MODELS[provider], stream)
                    assert r.status_code in (400, 502), (provider, status, stream, r.text)
                    seen += [r.text, str(dict(r.headers))]
                    request_ids.append(r.headers["x-request-id"])
    finally:
        httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
        stack.core.router.health.clear()

    # The keys did reach the upstream, which did echo them (the test is not vacuous)...
    upstream_keys = {rec.key for rec in stack.mock.state.records}
    assert {*POOL.values(), SHARED} <= upstream_keys
    assert "Incorrect API key provided: gsk_…[redacted]" in "\n".join(seen)
    assert "Incorrect API key provided: [redacted]" in "\n".join(seen)  # the shared key

    assert stack.run(stack.core.ledger.flush())
    api = f"http://127.0.0.1:{stack.http_port}/api/gate/v1"
    auth = {"Authorization": f"Bearer {credential}"}
    traces = [httpx.get(f"{api}/traces/{rid}", headers=auth, timeout=30) for rid in request_ids]
    assert all(t.status_code == 200 for t in traces), [t.text for t in traces]
    assert any("[redacted]" in t.text for t in traces)  # the provider text is in the ledger
    seen += [t.text for t in traces]
    seen.append(httpx.get(f"{api}/traces?limit=500", headers=auth, timeout=30).text)
    seen.append(httpx.get(f"http://127.0.0.1:{stack.http_port}/metrics", timeout=30).text)

    assert logs.lines  # logging was on
    _assert_absent([*POOL.values(), SHARED], "\n".join(seen + logs.lines))


def test_a_connection_test_that_echoes_the_key_does_not_repeat_it(lstack: Stack) -> None:
    stack = lstack
    _, credential = stack.core.identity.create_brand("leak-probe")
    secret = "gsk_PROBEsecretKEY_0123456789abcdef"
    _fault(stack, secret, 401)
    try:
        r = httpx.post(
            f"http://127.0.0.1:{stack.http_port}/api/gate/v1/vault/keys",
            headers={"Authorization": f"Bearer {credential}"},
            json={
                "provider": "groq",
                "secret": secret,
                "base_url": f"{stack.mock.url}/groq/v1",
                "test_connection": True,
            },
            timeout=30,
        )
    finally:
        httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == "secret"
    assert "Incorrect API key provided: gsk_…[redacted]" in r.text
    _assert_absent([secret], r.text)

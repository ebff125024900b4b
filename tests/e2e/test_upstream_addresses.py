"""A brand key's address is checked again when a request resolves it (issue 8, item 7).

This gateway allows no network for brand keys (the default): the mock on 127.0.0.1 is
reachable by the operator's demo pool keys only. A brand key saved before the rule existed
(written to the table directly here), whose host name resolves to loopback, is refused
when a request would connect to it: the request fails over to the pool key, the refusal is
in the route trace, and the brand's key never reaches the upstream. Saving such a key now
is refused at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.stack import Stack, make_settings

SECRET = "gsk_BRANDkeyBEHINDlocalhost_0123456789"


@pytest.fixture(scope="module")
def astack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = make_settings(Path(tmp_path_factory.mktemp("address-gateway")))
    s = Stack(dataclasses.replace(settings, allowed_upstream_networks=())).start(demo=True)
    yield s
    s.stop()


def test_a_name_resolving_inside_is_refused_when_used(astack: Stack) -> None:
    stack = astack
    brand, credential = stack.core.identity.create_brand("address-brand")
    port = stack.mock.url.rsplit(":", 1)[1]
    inside = f"http://localhost:{port}/groq/v1"

    saved = httpx.post(
        f"http://127.0.0.1:{stack.http_port}/api/gate/v1/vault/keys",
        headers={"Authorization": f"Bearer {credential}"},
        json={"provider": "groq", "secret": SECRET, "base_url": inside},
        timeout=30,
    )
    assert saved.status_code == 400, saved.text
    assert saved.json()["error"]["param"] == "base_url"
    assert "'localhost' resolves to 127.0.0.1, a loopback address" in saved.text

    # A row from before the rule: nothing checked it when it was saved.
    stack.core.key_store.add_key("groq", SECRET, client_id=brand.client_id, base_url=inside)
    stack.run(stack.core.refresh())
    r = httpx.post(
        stack.base_url + "/chat/completions?include_route_trace=true",
        headers={"Authorization": f"Bearer {credential}"},
        json={
            "model": "groq/llama-3.1-8b-instant",
            "messages": [{"role": "user", "content": "hi"}],
        },
        timeout=30,
    )
    assert r.status_code == 200, r.text
    first, served = r.json()["route_trace"][0], r.json()["route_trace"][-1]
    assert (first["outcome"], first["error_code"]) == ("error", "connection")
    assert first["error_message"] == (
        "upstream address refused: 'localhost' resolves to 127.0.0.1, a loopback address"
    )
    assert (served["outcome"], served["key"]) == ("success", "demo…key")
    assert SECRET not in {record.key for record in stack.mock.state.records}

"""What the client alias tests share: a gateway of their own per test module (with the
demo pool keys pointing at the mock for every provider: a pool that *could* serve, so that
not using it means something), a fresh brand per test with its keys and aliases, and the
mock provider's request log (which key and which model each upstream call carried).

The fixtures are imported by the test modules (``test_client_aliases.py``: routing;
``test_client_aliases_api.py``: REST, gRPC and the CLI).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import OpenAI

from tests.stack import Stack, make_settings

MODEL = "llama-3.1-8b-instant"  # a groq model the mock serves
_names = itertools.count()


class Brand:
    """A fresh brand: its id, client credential and an agent token."""

    def __init__(self, stack: Stack) -> None:
        view, credential = stack.core.identity.create_brand(f"alias-brand-{next(_names)}")
        _, agent = stack.core.identity.mint_token(view.client_id, "agent", None)
        self.name = view.name
        self.client_id = view.client_id
        self.credential = str(credential)
        self.agent = str(agent)
        self._stack = stack

    def api(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        url = f"{self._stack.base_url}{path}"
        auth = {"Authorization": f"Bearer {token or self.credential}"}
        return httpx.request(method, url, headers=auth, timeout=30, **kw)

    def key(self, secret: str, provider: str = "groq", **kw: Any) -> str:
        """A vault key of this brand pointing at the mock; its id."""
        body = {
            "provider": provider,
            "secret": secret,
            "base_url": f"{self._stack.mock.url}/{provider}/v1",
            **kw,
        }
        r = self.api("POST", "/vault/keys", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def alias(self, name: str, *key_ids: str, model: str = MODEL, **kw: Any) -> dict[str, Any]:
        slots = [{"key_id": k, "model": model} for k in key_ids]
        r = self.api("POST", "/client-aliases", json={"name": name, "slots": slots, **kw})
        assert r.status_code == 201, r.text
        return dict(r.json())

    def model(self, leaf: str) -> str:
        return f"client:{self.client_id}/{leaf}"

    def openai(self, token: str | None = None) -> OpenAI:
        return OpenAI(base_url=self._stack.base_url, api_key=token or self.agent, max_retries=0)


@pytest.fixture(scope="module")
def astack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = Stack(make_settings(Path(tmp_path_factory.mktemp("alias-gateway")))).start(demo=True)
    yield s
    s.stop()


@pytest.fixture
def new_brand(astack: Stack) -> Callable[[], Brand]:
    return lambda: Brand(astack)


@pytest.fixture(autouse=True)
def clean(astack: Stack) -> Iterator[None]:
    astack.core.router.health.clear()
    httpx.delete(astack.mock.url + "/__mock/faults").raise_for_status()
    yield
    httpx.delete(astack.mock.url + "/__mock/faults").raise_for_status()


def fault(stack: Stack, **rule: Any) -> None:
    httpx.post(stack.mock.url + "/__mock/faults", json=rule).raise_for_status()


class Log:
    """The mock's request log from now on: which key and which model it was called with."""

    def __init__(self, stack: Stack) -> None:
        self._state = stack.mock.state
        self._start = stack.mock.state.total

    def seen(self) -> list[tuple[str | None, str | None, str | None]]:
        count = self._state.total - self._start
        records = list(self._state.records)[-count:] if count else []
        return [(r.key, r.authorization, r.model) for r in records]

    def keys(self) -> list[str | None]:
        return [key for key, _, _ in self.seen()]


def error(r: httpx.Response) -> dict[str, Any]:
    return dict(r.json()["error"])

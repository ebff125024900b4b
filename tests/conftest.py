"""Shared fixtures: one running gateway per test session, and tokens on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.stack import Stack, make_settings


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("gateway")
    s = Stack(make_settings(data_dir)).start(demo=True)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def brand(stack: Stack) -> tuple[str, str]:
    """(client_id, client-credential token) of a test brand."""
    view, credential = stack.core.identity.create_brand("acme")
    return view.client_id, credential


@pytest.fixture(scope="session")
def token(stack: Stack, brand: tuple[str, str]) -> str:
    """An agent token with every scope."""
    _, token = stack.core.identity.mint_token(brand[0], "agent-1", None)
    return str(token)


@pytest.fixture
def add_key(stack: Stack) -> Iterator[Callable[..., Any]]:
    """Add a provider key for one test (refreshing the routing snapshot); it is
    deactivated afterwards so other tests on the shared stack do not see it."""
    added: list[Any] = []

    def add(provider: str, secret: str, **kw: Any) -> Any:
        view = stack.core.key_store.add_key(provider, secret, **kw)
        added.append(view)
        stack.run(stack.core.refresh())
        return view

    yield add
    for view in added:
        stack.core.key_store.deactivate(view.id, view.client_id)
    stack.run(stack.core.refresh())

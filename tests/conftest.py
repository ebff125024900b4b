"""Shared fixtures: one running gateway per test session (per xdist worker), and tokens on
it; and the order in which test files reach the workers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.db_backends import drop_migrated_template
from tests.stack import Stack, make_settings

# The ``node_available`` fixture of the Node gRPC client tests.
pytest_plugins = ["tests.node_client"]

# The files that take longest (seconds on one of four xdist workers, on the 2-core machine
# under load: bounds and shedding 68 as one file, fuzz 57, ledger crash 44, writer 42, the
# rest 15-40), sent to the workers first. Files go to workers whole (``--dist loadfile``)
# in collection order (``--no-loadscope-reorder``; xdist's own order, by number of tests,
# sent the 4-test fuzz last and left three workers idle while it ran). Other files keep
# their order after these.
SLOWEST_FIRST = (
    "e2e/test_bounds.py",
    "e2e/test_shedding.py",
    "e2e/test_openapi_fuzz.py",
    "e2e/test_ledger_crash.py",
    "ledger/test_writer.py",
    "e2e/test_replicas.py",
    "e2e/test_recovery.py",
    "e2e/test_processes.py",
    "e2e/test_unknown_tokens.py",
    "ledger/test_rollups.py",
    "e2e/test_shutdown.py",
    "cli/test_admin.py",
    "e2e/test_ledger_shutdown.py",
)

WORKERS = 4


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """How many xdist workers ``-n auto`` (pyproject.toml) starts: four for the suite or a
    folder of it (see pyproject.toml for why four on two cores), none (this process) when
    only files or single tests are named, as while working on them: each worker spends
    ~4 s importing and collecting before its first test, longer than most files take."""
    named = [Path(arg.split("::", 1)[0]) for arg in config.args]
    return WORKERS if any(path.is_dir() for path in named) else 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slowest files first, each file's tests in their own order (a stable sort)."""

    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0].removeprefix("tests/")
        return SLOWEST_FIRST.index(path) if path in SLOWEST_FIRST else len(SLOWEST_FIRST)

    items.sort(key=rank)


def pytest_sessionfinish() -> None:
    """Drop this process's (this xdist worker's) test databases still pending, and its
    migrated PostgreSQL template."""
    drop_migrated_template()


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

"""Fixtures of the runner's tests: one mock provider and one HTTP session per module,
and a fresh :class:`~tests.routing.runner_world.Gate` (key health, clock) per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from gate_service.providers.transport import create_session
from mock_provider.server import MockServer, start_mock
from tests.routing.runner_world import Gate


@pytest.fixture(scope="module")
async def mock() -> AsyncIterator[MockServer]:
    server = await start_mock()
    yield server
    await server.close()


@pytest.fixture(scope="module")
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    s = create_session()
    yield s
    await s.close()


@pytest.fixture
async def gate(mock: MockServer, session: aiohttp.ClientSession) -> Gate:
    mock.state.reset()
    return Gate(mock, session)

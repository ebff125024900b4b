"""One real mock server per session, reset before every test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest

from mock_provider import MockServer, MockState, start_mock


@pytest.fixture(scope="session")
async def mock_server() -> AsyncIterator[MockServer]:
    server = await start_mock(port=0)
    yield server
    await server.close()


@pytest.fixture
def state(mock_server: MockServer) -> MockState:
    """The server's state, wiped so counts and faults start from zero."""
    mock_server.state.reset()
    return mock_server.state


@pytest.fixture
async def client(mock_server: MockServer, state: MockState) -> AsyncIterator[openai.AsyncOpenAI]:
    """The official SDK pointed at the mock, without retries (faults must surface)."""
    sdk = openai.AsyncOpenAI(base_url=f"{mock_server.url}/v1", api_key="test", max_retries=0)
    yield sdk
    await sdk.close()

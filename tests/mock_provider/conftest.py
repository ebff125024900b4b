"""One real mock server per session, reset before every test, and SDK clients for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import openai
import pytest
from google import genai
from google.genai import types

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


@pytest.fixture
async def claude(
    mock_server: MockServer, state: MockState
) -> AsyncIterator[anthropic.AsyncAnthropic]:
    """The official Anthropic SDK (it appends ``/v1/messages`` to the base URL itself)."""
    sdk = anthropic.AsyncAnthropic(base_url=mock_server.url, api_key="k", max_retries=0)
    yield sdk
    await sdk.close()


@pytest.fixture
async def gemini(mock_server: MockServer, state: MockState) -> AsyncIterator[genai.Client]:
    """The official google-genai SDK; it calls ``<base_url>/<api_version>/models/...``."""
    sdk = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=mock_server.url))
    yield sdk
    await sdk.aio.aclose()

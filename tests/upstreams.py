"""For tests that build routing without a whole gateway: a mock provider and an HTTP
session per module (fixtures a folder's conftest re-exports), and provider keys pointing
at the mock: groq (two keys, ``GROQ_ONE`` first by priority), cerebras and Anthropic,
every one a pool key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from gate_service.providers.transport import create_session
from gate_service.routing.keys import KeyPool, UsableKey
from mock_provider.server import MockServer, start_mock

GROQ_ONE, GROQ_TWO = "gsk-pool-one-7fQ2", "gsk-pool-two-9xK4"


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


def mock_key_pool(mock_url: str) -> KeyPool:
    keys = KeyPool()
    for key_id, provider, secret, priority in [
        ("groq-1", "groq", GROQ_ONE, 1),
        ("groq-2", "groq", GROQ_TWO, 2),
        ("cerebras-1", "cerebras", "csk-cerebras-mock", 1),
        ("anthropic-1", "anthropic", "sk-ant-mock-key", 1),
    ]:
        keys.add_ephemeral(
            UsableKey(
                id=key_id,
                provider=provider,
                client_id=None,
                preview=key_id,
                base_url=f"{mock_url}/{provider}/v1",
                source="demo",
                secret=secret,
                priority=priority,
            )
        )
    return keys

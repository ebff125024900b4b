"""Fixtures of the runner's tests: one mock provider and one HTTP session per module
(:mod:`tests.upstreams`), and a fresh :class:`~tests.routing.runner_world.Gate` (key
health, clock) per test."""

from __future__ import annotations

import aiohttp
import pytest

from mock_provider.server import MockServer
from tests.routing.runner_world import Gate
from tests.upstreams import mock, session

__all__ = ["gate", "mock", "session"]


@pytest.fixture
async def gate(mock: MockServer, session: aiohttp.ClientSession) -> Gate:
    mock.state.reset()
    return Gate(mock, session)

"""Fixtures of the tests that start ``spidergate`` processes (tests/e2e/processes.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.processes import Procs, start_mock


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Procs]:
    """Background processes, all killed at the end of the test."""
    p = Procs(tmp_path)
    yield p
    p.stop_all()


@pytest.fixture
def mock_url(procs: Procs) -> str:
    """A mock provider process of the test's own."""
    return start_mock(procs)

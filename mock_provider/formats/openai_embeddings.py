"""The mock's OpenAI /embeddings endpoints."""

from __future__ import annotations

from typing import Any

from mock_provider.formats.base import Endpoint


def endpoints(fmt: Any) -> list[Endpoint]:
    """The endpoints this module serves for the OpenAI format ``fmt``."""
    return []

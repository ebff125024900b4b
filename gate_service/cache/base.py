"""The one interface every response-cache backend implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from gate_service.domain import Completion


@runtime_checkable
class ResponseCache(Protocol):
    """An exact-match store of finished chat completions, keyed by ``cache_key``.

    A cache is an optimisation: backends never raise for a missing, expired or
    unreadable entry, they return None, and the caller answers from a provider.
    """

    async def get(self, key: str) -> Completion | None:
        """The completion stored under ``key``, as a fresh object the caller may edit."""
        ...

    async def set(self, key: str, completion: Completion, ttl_s: int) -> None:
        """Store ``completion`` under ``key`` for ``ttl_s`` seconds (<= 0: not stored)."""
        ...

    async def get_bytes(self, key: str) -> bytes | None:
        """The bytes stored under ``key`` (answers of other kinds keep their own codec:
        embeddings, :mod:`gate_service.embeddings.cache`)."""
        ...

    async def set_bytes(self, key: str, data: bytes | None, ttl_s: int) -> None:
        """Store ``data`` under ``key`` for ``ttl_s`` seconds (None or <= 0: not stored)."""
        ...

    async def close(self) -> None:
        """Release what the backend holds (connections, memory)."""
        ...

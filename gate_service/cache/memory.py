"""The in-process response cache used by the embedded default (no Redis configured).

Bounded twice, because either bound alone fails someone: a count limit lets a few huge
answers eat the heap, a byte limit lets millions of tiny entries bloat the dict. When
either is exceeded the least recently used entries go first. Each entry carries its own
TTL; an expired entry is dropped when read, and a min-heap of expiry times drops the rest
on every ``set`` so dead answers do not hold memory until LRU pressure reaches them.

Entries are kept as bytes: the stored size is known exactly, and every ``get`` decodes
a fresh object, so no caller can alter what the next hit sees. Single event loop, so no
locks: nothing here awaits between reading and writing the structures.
"""

from __future__ import annotations

import heapq
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from gate_service.cache.codec import decode_completion, encode_completion
from gate_service.domain import Completion

DEFAULT_MAX_ENTRIES = 10_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class _Entry:
    data: bytes
    expires_at: float
    size: int


class MemoryCache:
    """LRU + TTL cache of completions, bounded by entry count and by stored bytes.

    ``size`` counts the encoded value plus the key. A single answer larger than
    ``max_bytes`` is not stored (it would evict everything and then itself). ``clock``
    is injected so tests can move time; it must be monotonic, like the default.
    """

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValueError("max_entries and max_bytes must be positive")
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        # (expires_at, key); may hold stale pairs for keys since overwritten or evicted,
        # which are checked against the live entry before anything is removed.
        self._expiries: list[tuple[float, str]] = []
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """Bytes currently held (values plus keys)."""
        return self._bytes

    async def get(self, key: str) -> Completion | None:
        data = await self.get_bytes(key)
        return None if data is None else decode_completion(data)

    async def set(self, key: str, completion: Completion, ttl_s: int) -> None:
        await self.set_bytes(key, encode_completion(completion), ttl_s)

    async def get_bytes(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            self._remove(key)
            return None
        self._entries.move_to_end(key)
        return entry.data

    async def set_bytes(self, key: str, data: bytes | None, ttl_s: int) -> None:
        now = self._clock()
        self._purge_expired(now)
        self._remove(key)
        if ttl_s <= 0 or data is None:
            return
        entry = _Entry(data=data, expires_at=now + ttl_s, size=len(data) + len(key))
        if entry.size > self._max_bytes:
            return
        self._entries[key] = entry
        self._bytes += entry.size
        heapq.heappush(self._expiries, (entry.expires_at, key))
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            self._remove(next(iter(self._entries)))
        self._compact_expiries()

    async def close(self) -> None:
        self._entries.clear()
        self._expiries.clear()
        self._bytes = 0

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry.size

    def _purge_expired(self, now: float) -> None:
        while self._expiries and self._expiries[0][0] <= now:
            _, key = heapq.heappop(self._expiries)
            entry = self._entries.get(key)
            if entry is not None and entry.expires_at <= now:
                self._remove(key)

    def _compact_expiries(self) -> None:
        """Rebuild the heap when stale pairs outnumber live entries, so overwrites and
        evictions cannot grow it without bound before their old expiry times come."""
        if len(self._expiries) > 2 * len(self._entries) + 64:
            self._expiries = [(e.expires_at, k) for k, e in self._entries.items()]
            heapq.heapify(self._expiries)

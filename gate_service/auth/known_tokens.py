"""A Bloom filter of every live token's keyed hash: "not a token we know" without a query.

Without it each well-formed but unknown token cost one database lookup: a flood of
distinct random tokens raised legitimate p99 twentyfold (issue 8). The filter holds the
keyed hash each lookup uses (``agent_token.token_hash``, ``client_credential.key_hash``),
so the authenticator hashes the presented token, asks the filter, and answers 401 from
memory when the hash is certainly absent. A hash that may be present goes to the database
as before: the filter only ever removes queries, never decides an acceptance.

**Freshness**: loaded in full at start; every refresh (``Settings.refresh_interval_s``,
5 s) adds the rows created since the previous refresh, less :data:`OVERLAP_S` to absorb
clock differences between the processes that write ``created_at``; a full rebuild every
:data:`REBUILD_S` drops revoked tokens and repairs anything a clock more than
:data:`OVERLAP_S` behind made the incremental reads miss. Tokens minted through this
process are added at once. So a token minted on another replica or by the CLI is accepted
within one refresh interval (clocks within 60 s of each other), else within 15 minutes.

**Memory**: sized for ``capacity`` hashes at a 1 % false-positive rate, 9.6 bits and 7
probes per hash: 1.2 MB for the default 1,000,000. The false-positive rate (the share of
random tokens that still reach the database) is 1 % when the filter is full, and orders of
magnitude less while it is not: with 10,000 tokens in the default filter it is about
10^-15. When the live tokens outgrow the capacity the next full rebuild doubles it.

Probe positions come straight from the hash: it is an HMAC-SHA256, uniform already, so
two 64-bit words of it give every probe by double hashing.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable

DEFAULT_CAPACITY = 1_000_000
FALSE_POSITIVE_RATE = 0.01
OVERLAP_S = 60.0
REBUILD_S = 900.0
_MASK64 = (1 << 64) - 1


class BloomFilter:
    """A fixed-size Bloom filter of hex digests (at least 32 hex digits each)."""

    __slots__ = ("_bits", "capacity", "count", "probes", "size_bits")

    def __init__(self, capacity: int, false_positive_rate: float = FALSE_POSITIVE_RATE) -> None:
        if capacity < 1 or not 0 < false_positive_rate < 1:
            raise ValueError("capacity must be positive and the rate between 0 and 1")
        self.capacity = capacity
        bits = -capacity * math.log(false_positive_rate) / math.log(2) ** 2
        self.size_bits = max(64, math.ceil(bits))
        self.probes = max(1, round(self.size_bits / capacity * math.log(2)))
        self._bits = bytearray((self.size_bits + 7) // 8)
        self.count = 0

    @property
    def nbytes(self) -> int:
        return len(self._bits)

    def add(self, digest: str) -> None:
        value = int(digest[:32], 16)
        position, step = value & _MASK64, (value >> 64) | 1
        bits, size = self._bits, self.size_bits
        for _ in range(self.probes):
            at = position % size
            bits[at >> 3] |= 1 << (at & 7)
            position += step
        self.count += 1

    def __contains__(self, digest: str) -> bool:
        # Unrolled by hand, not all(...): an absent digest usually fails the first probe,
        # and this is on every request with an unknown token (about 1 microsecond).
        value = int(digest[:32], 16)
        position, step = value & _MASK64, (value >> 64) | 1
        bits, size = self._bits, self.size_bits
        for _ in range(self.probes):
            at = position % size
            if not bits[at >> 3] & (1 << (at & 7)):
                return False
            position += step
        return True


class KnownTokens:
    """The filter the authenticator asks, swapped whole on a rebuild.

    ``add`` may be called from worker threads (minting runs off the event loop); a lock
    keeps concurrent adds and a rebuild's swap from losing one. Reads take no lock.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._filter: BloomFilter | None = None
        self._lock = threading.Lock()
        # Digests added while a rebuild was reading the database, replayed into its result.
        self._pending: list[str] | None = None

    @property
    def ready(self) -> bool:
        """Whether a full load happened; before it every token goes to the database."""
        return self._filter is not None

    @property
    def nbytes(self) -> int:
        return 0 if self._filter is None else self._filter.nbytes

    def __len__(self) -> int:
        return 0 if self._filter is None else self._filter.count

    def may_know(self, digest: str) -> bool:
        """False only for a digest certainly not loaded or added (or when not ready)."""
        current = self._filter
        return current is None or digest in current

    def add(self, digest: str) -> None:
        """A token minted through this process: known from now on."""
        with self._lock:
            if self._filter is not None:
                self._filter.add(digest)
            if self._pending is not None:
                self._pending.append(digest)

    def add_all(self, digests: Iterable[str]) -> None:
        """Rows read by an incremental refresh."""
        for digest in digests:
            self.add(digest)

    def begin_rebuild(self) -> None:
        """Start collecting adds that the rebuild's database read may not see."""
        with self._lock:
            self._pending = []

    def cancel_rebuild(self) -> None:
        """A rebuild failed: keep the current filter, stop collecting."""
        with self._lock:
            self._pending = None

    def finish_rebuild(self, digests: Iterable[str], count: int) -> None:
        """Install a filter of ``digests`` (``count`` of them, to size it) and the adds
        made since :meth:`begin_rebuild`."""
        capacity = self._capacity
        while count > capacity:
            capacity *= 2
        fresh = BloomFilter(capacity)
        for digest in digests:
            fresh.add(digest)
        with self._lock:
            for digest in self._pending or ():
                fresh.add(digest)
            self._pending = None
            self._filter = fresh
            self._capacity = capacity

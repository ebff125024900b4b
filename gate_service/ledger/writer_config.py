"""The ledger writer's bounds and timings (:mod:`gate_service.ledger.writer`).

Its own module because both the writer and its thread (:mod:`.writer_thread`) read it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WriterConfig:
    """The writer's bounds and timings; the defaults suit one gateway process."""

    # Entries kept in memory for the writer; beyond this they are read back from disk.
    queue_size: int = 10_000
    # Rows per transaction from memory. Batches of 500 doubled the gateway's p99 latency
    # against batches of 100 at ~2,000 requests/s on one core (the rows' CPU comes in one
    # burst), for the same throughput; the per-transaction cost is small next to the rows'.
    batch_size: int = 100
    # Rows per transaction when catching up from disk (after an outage or a crash): larger
    # batches touch fewer pages per row of a random-key index (docs/ledger.md).
    backlog_batch_size: int = 1_000
    flush_interval_s: float = 0.2
    retry_initial_s: float = 0.1
    retry_max_s: float = 5.0
    close_timeout_s: float = 30.0
    warn_interval_s: float = 60.0

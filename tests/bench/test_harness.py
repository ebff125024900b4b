"""Time to ready: from the process's start to its first successful health answer."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from harness import ProcessRegistry, free_port, wait_for_http

REPO = Path(__file__).resolve().parents[2]


def test_time_to_ready_counts_from_the_process_start(tmp_path: Path) -> None:
    registry = ProcessRegistry(tmp_path)
    port = free_port()
    try:
        before = time.monotonic()
        proc = registry.start(
            "mock", [sys.executable, "-m", "mock_provider", "--port", str(port)], cwd=REPO
        )
        ready_s = wait_for_http(f"http://127.0.0.1:{port}/__mock/health", proc, 60)
        waited = time.monotonic() - before
        assert before <= proc.started_at
        # A Python server takes a while to import; the probe (every 20 ms) sees it at once.
        assert 0.05 < ready_s <= waited
        assert waited - ready_s < 0.1
    finally:
        registry.close()

"""Database fixtures over SQLite and PostgreSQL, and a maker of ledger entries."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from gate_service.ledger import LedgerEntry
from gate_service.routing.router import Attempt
from tests.db_backends import database_url, db

__all__ = ["database_url", "db", "make_entry"]

_ids = itertools.count()


def entry(**kw: Any) -> LedgerEntry:
    """A served request with sensible values; any field can be overridden."""
    n = next(_ids)
    values: dict[str, Any] = {
        "request_id": f"req-{n:06d}",
        "client_id": "cli_aaaaaaaaaaaaaaaa",
        "token_id": "tok_1",
        "agent_name": "agent-1",
        "requested_model": "spideriq/fast",
        "alias": "spideriq/fast",
        "served_model": "llama-3.1-8b-instant",
        "provider": "groq",
        "key_id": "key_1",
        "key_preview": "gsk_…abc",
        "status": 200,
        "error_code": None,
        "latency_ms": 100.0,
        "ttft_ms": None,
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "cached_tokens": 0,
        "reasoning_tokens": 0,
        "cost_usd": 0.001,
        "streamed": False,
        "cache_hit": False,
        "fallback_chain": ["groq:llama-3.1-8b-instant"],
        "attempts": [Attempt("groq", "llama-3.1-8b-instant", "gsk_…abc", "success", 200, 95.0)],
        "created_at": datetime.now(UTC),
    }
    values.update(kw)
    return LedgerEntry(**values)


@pytest.fixture
def make_entry() -> Callable[..., LedgerEntry]:
    return entry

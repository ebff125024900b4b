"""Database fixtures over SQLite and PostgreSQL, a maker of ledger entries, and writers
over a journal in the test's folder (closed at the end)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gate_service.ledger import Journal, LedgerWriter, RequestRecord, WriterConfig
from gate_service.ledger.store import LedgerStore
from gate_service.routing.outcome import Attempt
from gate_service.storage.database import Database
from tests.db_backends import database_url, db

__all__ = ["database_url", "db", "make_entry", "make_writer"]

_ids = itertools.count()


def entry(**kw: Any) -> RequestRecord:
    """A served request with sensible values; any field can be overridden."""
    n = next(_ids)
    values: dict[str, Any] = {
        "id": f"req-{n:06d}",
        "client_id": "cli_aaaaaaaaaaaaaaaa",
        "token_id": "tok_1",
        "agent_name": "agent-1",
        "requested_model": "spideriq/fast",
        "alias": "spideriq/fast",
        "kind": "chat",
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
        "fallback_chain": ("groq:llama-3.1-8b-instant",),
        "attempts": (Attempt("groq", "llama-3.1-8b-instant", "gsk_…abc", "success", 200, 95.0),),
        "created_at": datetime.now(UTC),
    }
    values.update(kw)
    return RequestRecord(**values)


@pytest.fixture
def make_entry() -> Callable[..., RequestRecord]:
    return entry


MakeWriter = Callable[..., LedgerWriter]


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    return tmp_path / "ledger-journal"


@pytest.fixture
async def make_writer(db: Database, journal_dir: Path) -> AsyncIterator[MakeWriter]:
    """``make_writer(store=None, segment_bytes=..., **WriterConfig fields)``: a writer on a
    journal slot under ``journal_dir``; every one is closed (or already abandoned) after."""
    made: list[LedgerWriter] = []

    def make(
        store: LedgerStore | None = None,
        *,
        segment_bytes: int = 16 * 1024 * 1024,
        root: Path | None = None,
        **config: Any,
    ) -> LedgerWriter:
        journal = Journal.open(root or journal_dir, segment_bytes=segment_bytes)
        writer = LedgerWriter(store or LedgerStore(db), journal, WriterConfig(**config))
        made.append(writer)
        return writer

    yield make
    for writer in made:
        await writer.close()

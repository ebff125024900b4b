"""An alias chain's versions in the database, on SQLite and PostgreSQL: the first change
records the seed as version 1, each change one more, the live chain is what the catalog
loads, and the announcement runs inside the writing transaction."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session

from gate_service.aliasadmin import history
from gate_service.catalog import persist
from gate_service.catalog.schema import Candidate
from gate_service.errors import GateError
from gate_service.storage.database import Database

ALIAS = "spideriq/fast"
NEW = (Candidate("mistral", "mistral-small-latest"),)


@pytest.fixture
def seeded(db: Database) -> Database:
    persist.seed_if_empty(db.session_factory())
    return db


def test_first_change_records_the_seed_then_each_change(seeded: Database) -> None:
    factory = seeded.session_factory()
    seed = persist.load_from_db(factory).alias(ALIAS)
    assert seed is not None and history.history(factory, ALIAS) == []
    written = history.write_chain(factory, ALIAS, NEW, actor="operator", reason="why")
    assert (written.version, written.chain, written.actor) == (2, NEW, "operator")
    again = history.write_chain(factory, ALIAS, seed.chain, actor="cli", reason="")
    rows = history.history(factory, ALIAS)
    assert [(r.version, r.actor) for r in rows] == [(3, "cli"), (2, "operator"), (1, "seed")]
    assert rows[-1].chain == seed.chain
    assert history.entry(factory, again.id) == rows[0]
    live = persist.load_from_db(factory).alias(ALIAS)
    assert live is not None and live.chain == seed.chain
    assert live.requires == seed.requires and live.use_case == seed.use_case


def test_unknown_alias_is_not_found(seeded: Database) -> None:
    with pytest.raises(GateError) as caught:
        history.write_chain(seeded.session_factory(), "nope/x", NEW, actor="cli", reason="")
    assert caught.value.code == "not_found"


def test_the_announcement_is_part_of_the_transaction(seeded: Database) -> None:
    factory = seeded.session_factory()

    def fail(session: Session) -> None:
        raise RuntimeError("announcing failed")

    with pytest.raises(RuntimeError):
        history.write_chain(factory, ALIAS, NEW, actor="cli", reason="", announce=fail)
    assert history.history(factory, ALIAS) == []  # nothing written
    seen: list[bool] = []
    history.write_chain(
        factory, ALIAS, NEW, actor="cli", reason="", announce=lambda s: seen.append(True)
    )
    assert seen == [True]


def test_concurrent_changes_get_consecutive_versions(seeded: Database) -> None:
    """On PostgreSQL the alias row's lock orders the writers; SQLite serialises writers
    by itself. Either way no version is taken twice."""
    factory = seeded.session_factory()
    chains = [(Candidate("mistral", "mistral-small-latest"),), (Candidate("openai", "gpt-4o"),)] * 4
    with ThreadPoolExecutor(4) as pool:
        list(
            pool.map(
                lambda c: history.write_chain(factory, ALIAS, c, actor="cli", reason=""), chains
            )
        )
    versions = sorted(r.version for r in history.history(factory, ALIAS))
    assert versions == list(range(1, len(chains) + 2))

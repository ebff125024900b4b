"""``spidergate alias``: list, show, set, rollback and validate on each backend, in
process (``main``). A change made here is announced to running gateways: on PostgreSQL a
NOTIFY a listener receives."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from gate_service.catalog.changes import CHANNEL, postgres_conninfo
from gate_service.storage.database import Database
from tests.cli.conftest import MainRunner
from tests.stack import Stack

Run = Callable[..., subprocess.CompletedProcess[str]]
ALIAS = "spideriq/tool-use"
NO_TOOLS = "together:Qwen/Qwen2.5-Coder-32B-Instruct"


@pytest.fixture
def cli(tmp_path: Path, database_url: str, main_runner: MainRunner) -> Run:
    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        where = ("--data-dir", str(tmp_path / "state"), "--database-url", database_url)
        return main_runner(*args, *where, env=env)

    return run


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_set_show_rollback(cli: Run) -> None:
    assert ALIAS in ok(cli("alias", "list"))
    refused = cli("alias", "set", ALIAS, "groq:llama-3.3-70b-versatile", NO_TOOLS)
    assert refused.returncode == 1
    assert "slot 1 " + NO_TOOLS + " (no_tools)" in refused.stderr
    out = ok(cli("alias", "set", ALIAS, "openai:gpt-4o", "--reason", "try gpt-4o"))
    assert "0. openai:gpt-4o" in out and "try gpt-4o" in out
    seed = re.search(r"^(\d+)\s+1\s", ok(cli("alias", "show", ALIAS)), re.MULTILINE)
    assert seed is not None
    back = ok(cli("alias", "rollback", ALIAS, seed.group(1)))
    assert "0. groq:llama-3.3-70b-versatile" in back and "rollback to version 1" in back
    missing = cli("alias", "rollback", "spideriq/fast", seed.group(1))
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_validate_probes_through_pool_keys(cli: Run, stack: Stack) -> None:
    url = stack.mock.url + "/groq/v1"
    ok(cli("key", "add", "groq", "gsk_cli_probe_0123456789abcdef", "--base-url", url))
    before = stack.mock.state.total
    result = cli("alias", "validate", ALIAS, "groq:llama-3.3-70b-versatile", "openai:gpt-4o")
    assert result.returncode == 1  # no openai key here
    assert re.search(r"0\s+groq:llama-3.3-70b-versatile\s+ok", result.stdout), result.stdout
    assert re.search(r"1\s+openai:gpt-4o\s+no_key", result.stdout), result.stdout
    assert stack.mock.state.total == before + 1
    assert "gsk_cli_probe" not in result.stdout + result.stderr


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # LISTEN/NOTIFY
def test_a_change_is_announced_on_postgresql(cli: Run, database_url: str) -> None:
    ok(cli("alias", "list"))  # migrated and seeded
    db = Database(database_url)
    try:
        conninfo = postgres_conninfo(db)
    finally:
        db.dispose()
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        ok(cli("alias", "set", "spideriq/fast", "mistral:mistral-small-latest"))
        got = list(listener.notifies(timeout=5, stop_after=1))
    assert [n.channel for n in got] == [CHANNEL]


def test_unknown_alias(cli: Run) -> None:
    result = cli("alias", "show", "spideriq/nope")
    assert result.returncode == 1 and "not found" in result.stderr

"""The operator commands end to end, run in-process through ``main(argv)``; the last two
tests run ``python -m gate_service.cli.main`` in a real subprocess, as a user would."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gate_service.auth.identity import IdentityStore
from gate_service.errors import GateError
from gate_service.storage.database import Database
from tests.cli.conftest import MainRunner

REPO = Path(__file__).resolve().parents[2]
CREDENTIAL_RE = re.compile(r"cli_[a-z0-9]{16}:sk_[0-9a-f]{32}:secret_[0-9a-f]{32}")
AGENT_RE = re.compile(r"spideriq_pat_[0-9a-f]{32}")
SECRET = "gsk_live_0123456789abcdefghijklmnopqrstuv"
# The brand and mint tests cover both backends, the rest SQLite.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

Run = Callable[..., subprocess.CompletedProcess[str]]


def spidergate(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command line as a user would, with a clean environment for its state."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SPIDERGATE_DATA_DIR")}
    return subprocess.run(
        [sys.executable, "-m", "gate_service.cli.main", *args],
        cwd=REPO,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def cli(database_url: str, main_runner: MainRunner) -> Run:
    """``spidergate`` bound to the test database: ``--data-dir`` for SQLite (the default
    file in it), ``--database-url`` for PostgreSQL."""
    if database_url.startswith("sqlite:///"):
        location = ["--data-dir", str(Path(database_url.removeprefix("sqlite:///")).parent)]
    else:
        location = ["--database-url", database_url]

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return main_runner(*args, *location, stdin=stdin)

    return run


@pytest.fixture
def identity(database_url: str) -> Iterator[IdentityStore]:
    """The same database, read directly, to check what the commands did."""
    database = Database(database_url)
    yield IdentityStore(database)
    database.dispose()


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def failed(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""


def test_brand_create_prints_the_credential_last(cli: Run, identity: IdentityStore) -> None:
    out = ok(cli("brand", "create", "acme")).stdout
    last = out.splitlines()[-1]
    assert CREDENTIAL_RE.fullmatch(last)
    client_id = last.split(":")[0]
    assert f"client_id: {client_id}" in out
    principal = identity.authenticate(last)
    assert (principal.client_id, principal.brand_name) == (client_id, "acme")
    assert client_id in ok(cli("brand", "list")).stdout
    failed(cli("brand", "create", "acme"), "brand 'acme' already exists")


def test_token_mint_prints_the_token_alone_as_the_last_line(
    cli: Run, identity: IdentityStore
) -> None:
    ok(cli("brand", "create", "acme"))
    minted = ok(cli("token", "mint", "--brand", "acme", "--name", "agent-1"))
    assert AGENT_RE.fullmatch(minted.stdout.splitlines()[-1])
    assert minted.stdout == minted.stdout.splitlines()[-1] + "\n"  # nothing else on stdout
    token = minted.stdout.strip()
    token_id = re.search(r"tok_[0-9a-f]{16}", minted.stderr)
    assert token_id is not None
    principal = identity.authenticate(token)
    assert (principal.token_id, principal.agent_name) == (token_id.group(), "agent-1")
    assert len(principal.scopes) == 3

    narrow = ok(cli("token", "mint", "--brand", "acme", "--name", "b", "--scopes", "gate:chat"))
    assert identity.authenticate(narrow.stdout.strip()).scopes == {"gate:chat"}


@sqlite_only
def test_token_list_and_revoke(cli: Run, identity: IdentityStore) -> None:
    ok(cli("brand", "create", "acme"))
    ok(cli("brand", "create", "other"))
    minted = ok(cli("token", "mint", "--brand", "acme", "--name", "agent-1"))
    token = minted.stdout.strip()
    token_id = identity.authenticate(token).token_id
    assert token_id is not None

    listing = ok(cli("token", "list", "--brand", "acme")).stdout
    assert token_id in listing and token[:17] in listing and token not in listing

    failed(cli("token", "revoke", "--brand", "other", token_id), "token not found")
    ok(cli("token", "revoke", "--brand", "acme", token_id))
    assert token_id not in ok(cli("token", "list", "--brand", "acme")).stdout
    assert token_id in ok(cli("token", "list", "--brand", "acme", "--all")).stdout
    with pytest.raises(GateError, match="Invalid API key"):
        identity.authenticate(token)


@sqlite_only
def test_token_errors(cli: Run) -> None:
    ok(cli("brand", "create", "acme"))
    failed(cli("token", "mint", "--brand", "nope", "--name", "a"), "brand 'nope' not found")
    result = cli("token", "mint", "--brand", "acme", "--name", "a", "--scopes", "gate:root")
    assert result.returncode == 1 and "unknown scope 'gate:root'" in result.stderr
    failed(cli("token", "list", "--brand", "nope"), "brand 'nope' not found")


@sqlite_only
def test_keys_never_show_the_secret(cli: Run) -> None:
    ok(cli("brand", "create", "acme"))
    pool = ok(cli("key", "add", "groq", SECRET, "--label", "shared"))
    own = ok(cli("key", "add", "openai", "-", "--brand", "acme", stdin=SECRET + "\n"))
    local = ok(cli("key", "add", "ollama", "", "--base-url", "http://127.0.0.1:11434"))
    for result in (pool, own, local):
        assert re.search(r"key_[0-9a-f]{16}", result.stdout)
        assert SECRET not in result.stdout + result.stderr
    assert "gsk_…tuv" in pool.stdout

    pool_only = ok(cli("key", "list")).stdout
    assert "groq" in pool_only and "openai" not in pool_only
    brand_view = ok(cli("key", "list", "--brand", "acme")).stdout
    assert "groq" in brand_view and "openai" in brand_view and "ollama" in brand_view
    assert SECRET not in pool_only + brand_view

    failed(cli("key", "add", "groq", SECRET, "--brand", "nope"), "brand 'nope' not found")
    failed(cli("key", "add", "groq", ""), "secret is required unless a base_url is given")


def test_any_command_works_on_a_fresh_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "state"
    result = ok(spidergate("brand", "list", "--data-dir", str(data_dir)))
    assert result.stdout == "" and "no brands" in result.stderr
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    created = ok(spidergate("brand", "create", "acme", "--data-dir", str(data_dir)))
    assert CREDENTIAL_RE.fullmatch(created.stdout.splitlines()[-1])


def test_unreachable_database_is_a_clean_error() -> None:
    result = spidergate("brand", "list", "--database-url", "postgresql://nobody@127.0.0.1:1/x")
    assert result.returncode == 1
    assert result.stderr.startswith("error: database unavailable")
    assert "Traceback" not in result.stderr

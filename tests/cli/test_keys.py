"""The ``key`` and ``vault`` commands end to end on SQLite, run in-process (``main``)
for speed; ``test_admin.py`` covers the real subprocess."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from gate_service.storage.database import Database
from gate_service.vault import KeyStore, VaultCipher
from gate_service.vault.cipher import generate_key, read_key_file
from tests.cli.conftest import MainRunner
from tests.stack import Stack

SECRET = "gsk_live_0123456789abcdefghijklmnopqrstuv"
NEXT = "gsk_next_9876543210zyxwvutsrqponmlkjihg"
KEY_ID = re.compile(r"key_[0-9a-f]{16}")

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def cli(data_dir: Path, main_runner: MainRunner) -> Run:
    """``spidergate ARGS --data-dir DIR`` with this stdin and extra environment."""

    def run(
        *args: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return main_runner(*args, "--data-dir", str(data_dir), stdin=stdin, env=env)

    return run


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{data_dir / 'spidergate.db'}")
    yield database
    database.dispose()


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    return result.stdout


def failed(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: ") and fragment in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def _stored(db: Database) -> dict[str, str]:
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, secret FROM provider_key")).all()
    return {str(i): str(s) for i, s in rows}


def _key_id(output: str) -> str:
    match = KEY_ID.search(output)
    assert match, output
    return match.group()


def test_add_with_every_flag_and_list(cli: Run, data_dir: Path, db: Database) -> None:
    ok(cli("brand", "create", "acme"))
    out = ok(
        cli(
            *("key", "add", "groq", "-", "--brand", "acme", "--label", "main", "--primary"),
            *("--priority", "5", "--rpm", "30", "--rpd", "1000", "--spend-limit", "2.5"),
            *("--spend-period", "daily", "--spend-action", "block", "--embeddings", "--share"),
            stdin=SECRET + "\n",
        )
    )
    assert "gsk_…tuv" in out and "brand acme" in out
    key_id = _key_id(out)
    assert stat.S_IMODE((data_dir / "vault.key").stat().st_mode) == 0o600
    stored = _stored(db)[key_id]
    assert stored.startswith("fernet:") and SECRET not in stored

    listing = ok(cli("key", "list", "--brand", "acme"))
    row = next(line for line in listing.splitlines() if key_id in line)
    assert "primary,5" in row and "30/min,1000/day,$2.5/day block" in row and "yes" in row
    failed(cli("key", "add", "groq", SECRET, "--share"), "shared applies to brand keys")
    failed(cli("key", "add", "groq", SECRET, "--priority", "-1"), "priority must be")
    failed(cli("key", "add", "nosuch", SECRET), "unknown provider 'nosuch'")


def test_update_deactivate_activate_delete(cli: Run, db: Database) -> None:
    ok(cli("brand", "create", "acme"))
    key_id = _key_id(ok(cli("key", "add", "groq", SECRET, "--brand", "acme", "--rpm", "30")))
    failed(cli("key", "update", key_id, "--label", "x"), "key not found")  # not a pool key

    out = ok(
        cli(
            *("key", "update", key_id, "--brand", "acme", "--secret", "-", "--label", "backup"),
            *("--rpm", "0", "--no-primary"),
            stdin=NEXT + "\n",
        )
    )
    assert "gsk_…ihg" in out
    listing = ok(cli("key", "list", "--brand", "acme"))
    row = next(line for line in listing.splitlines() if key_id in line)
    assert "backup" in row and "/min" not in row

    assert "deactivated" in ok(cli("key", "deactivate", key_id, "--brand", "acme"))
    assert " no " in next(
        line for line in ok(cli("key", "list", "--brand", "acme")).splitlines() if key_id in line
    )
    assert "activated" in ok(cli("key", "activate", key_id, "--brand", "acme"))
    assert "deleted" in ok(cli("key", "delete", key_id, "--brand", "acme"))
    assert key_id not in ok(cli("key", "list", "--brand", "acme"))
    assert key_id in _stored(db)  # kept for usage history
    failed(cli("key", "activate", key_id, "--brand", "acme"), "key not found")


def test_health_from_the_database_says_what_it_cannot_see(cli: Run) -> None:
    key_id = _key_id(ok(cli("key", "add", "groq", SECRET)))
    result = cli("key", "health")
    assert key_id in ok(result)
    assert "not in the database" in result.stderr and "--core" in result.stderr


def test_health_from_a_running_core(cli: Run, stack: Stack, add_key: Callable[..., Any]) -> None:
    view, credential = stack.core.identity.create_brand("cli-health")
    key = add_key("groq", SECRET, client_id=view.client_id)
    result = cli("key", "health", "--core", stack.grpc_target, "--token", "-", stdin=credential)
    out = ok(result)
    assert out.startswith("groq: ") and key.id in out and "gsk_…tuv" in out
    failed(
        cli("key", "health", "--core", stack.grpc_target, "--token", "nope"),
        "Malformed token",
    )


def test_add_with_a_connection_test(cli: Run, stack: Stack) -> None:
    url = stack.mock.url + "/groq/v1"
    out = ok(cli("key", "add", "groq", SECRET, "--base-url", url, "--test"))
    assert stack.mock.state.records[-1].key == SECRET
    rule = {"kind": "error", "status": 401, "match": {"key": "bad-cli-key-0123456789"}}
    httpx.post(stack.mock.url + "/__mock/faults", json=rule).raise_for_status()
    try:
        result = cli("key", "add", "groq", "bad-cli-key-0123456789", "--base-url", url, "--test")
    finally:
        httpx.delete(stack.mock.url + "/__mock/faults").raise_for_status()
    failed(result, "test connection failed")
    assert "bad-cli-key-0123456789" not in result.stderr
    assert ok(cli("key", "list")).count("key_") == 1 and _key_id(out)


def test_vault_rotate_generates_and_reencrypts(cli: Run, data_dir: Path, db: Database) -> None:
    key_id = _key_id(ok(cli("key", "add", "groq", SECRET)))
    before = _stored(db)[key_id]
    (old,) = read_key_file(data_dir / "vault.key", create=False)

    result = cli("vault", "rotate", "--generate")
    assert "re-encrypted 1 provider key(s)" in ok(result)
    keys = read_key_file(data_dir / "vault.key", create=False)
    assert len(keys) == 2 and keys[1] == old
    assert stat.S_IMODE((data_dir / "vault.key").stat().st_mode) == 0o600
    after = _stored(db)[key_id]
    assert after != before
    only_new = KeyStore(db, VaultCipher([keys[0]]))
    only_new.open()
    assert only_new.active_keys()[0].secret == SECRET
    assert key_id in ok(cli("key", "list"))  # the CLI reads the new file

    # With keys from the environment there is no file to add to.
    env = {"SPIDERGATE_VAULT_KEYS": ",".join(keys)}
    failed(cli("vault", "rotate", "--generate", env=env), "SPIDERGATE_VAULT_KEYS")
    assert "re-encrypted 1" in ok(cli("vault", "rotate", env=env))


def test_wrong_or_unsafe_master_keys_stop_every_key_command(cli: Run, data_dir: Path) -> None:
    ok(cli("key", "add", "groq", SECRET))
    failed(
        cli("key", "list", env={"SPIDERGATE_VAULT_KEYS": generate_key()}),
        "not the ones this database was set up with",
    )
    os.chmod(data_dir / "vault.key", 0o644)
    failed(cli("key", "list"), "chmod 600")
    new_key = cli("vault", "generate-key")
    assert new_key.returncode == 0 and len(new_key.stdout.strip()) == 44

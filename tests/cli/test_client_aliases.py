"""The ``client-alias`` commands on SQLite and PostgreSQL, run in-process (``main``): the
same checks as the API, a brand's aliases only, and a listing that shows each slot's key
label, key state and cost type."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from gate_service.storage.database import Database
from tests.cli.conftest import MainRunner

Run = Callable[..., subprocess.CompletedProcess[str]]
KEY_ID = re.compile(r"key_[0-9a-f]{16}")
MODEL = "llama-3.1-8b-instant"


@pytest.fixture
def cli(tmp_path: Path, database_url: str, main_runner: MainRunner) -> Run:
    state = tmp_path / "state"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return main_runner(*args, "--data-dir", str(state), "--database-url", database_url)

    return run


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def failed(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: ") and fragment in result.stderr, result.stderr


def key(cli: Run, brand: str | None, secret: str, label: str = "") -> str:
    owner = ["--brand", brand] if brand else []
    out = ok(cli("key", "add", "groq", secret, *owner, "--label", label or secret[-4:]))
    match = KEY_ID.search(out)
    assert match, out
    return match.group()


def test_create_list_update_delete(cli: Run, database_url: str) -> None:
    ok(cli("brand", "create", "acme"))
    ok(cli("brand", "create", "rival"))
    one = key(cli, "acme", "gsk-cli-alias-one-000", "main")
    two = key(cli, "acme", "gsk-cli-alias-two-000", "backup")
    theirs = key(cli, "rival", "gsk-cli-alias-rival-0")
    pool = key(cli, None, "gsk-cli-alias-pool-00")

    out = ok(
        cli(
            "client-alias", "create", "fast", "--brand", "acme",
            "--slot", f"{one}={MODEL}", "--slot", f"{two}=groq/{MODEL}",
            "--description", "our chain",
        )
    )  # fmt: skip
    assert re.search(r"client:cli_\w+/fast \(enabled\) - our chain", out), out
    assert "main" in out and "backup" in out and "free" in out

    listed = ok(cli("client-alias", "list", "--brand", "acme"))
    assert listed.count(MODEL) == 2 and one in listed and two in listed
    assert "no client aliases" in cli("client-alias", "list", "--brand", "rival").stderr

    # The API's checks: another brand's key, a pool key, a bad name, 17 slots.
    failed(
        cli("client-alias", "create", "x", "--brand", "acme", "--slot", f"{theirs}={MODEL}"),
        f"no key '{theirs}'",
    )
    failed(
        cli("client-alias", "create", "x", "--brand", "acme", "--slot", f"{pool}={MODEL}"),
        "pool key",
    )
    failed(
        cli("client-alias", "create", "Bad", "--brand", "acme", "--slot", f"{one}={MODEL}"), "name"
    )
    many = [arg for _ in range(17) for arg in ("--slot", f"{one}={MODEL}")]
    failed(cli("client-alias", "create", "x", "--brand", "acme", *many), "1-16 slots")
    failed(
        cli("client-alias", "create", "x", "--brand", "acme", "--slot", "no-equals"), "KEY_ID=MODEL"
    )

    # Update: only what is given; --slot replaces the chain; --slots-json for the rest.
    out = ok(cli("client-alias", "update", "fast", "--brand", "acme", "--no-description"))
    assert "our chain" not in out and out.count(MODEL) == 2
    slots = f'[{{"key_id": "{two}", "model": "{MODEL}", "enabled": false}}]'
    out = ok(cli("client-alias", "update", "fast", "--brand", "acme", "--slots-json", slots))
    assert out.count(MODEL) == 1 and two in out and one not in out
    ok(cli("client-alias", "update", "fast", "--brand", "acme", "--no-enabled"))
    assert "(disabled)" in ok(cli("client-alias", "list", "--brand", "acme"))
    failed(
        cli("client-alias", "update", "fast", "--brand", "rival", "--enabled"), "No client alias"
    )

    # A token's allow-list may name the alias: no "unknown model" warning for it.
    model = re.search(r"client:cli_\w+/fast", out)
    assert model is not None
    minted = cli("token", "mint", "--brand", "acme", "--name", "a", "--allow", model.group())
    assert minted.returncode == 0 and "not a model" not in minted.stderr, minted.stderr
    typo = cli("token", "mint", "--brand", "acme", "--name", "b", "--allow", model.group() + "x")
    assert "not a model or alias" in typo.stderr

    ok(cli("key", "deactivate", two, "--brand", "acme"))
    row = ok(cli("client-alias", "list", "--brand", "acme")).splitlines()[-1].split()
    assert row[1:4] == [two, "backup", "no"]  # the key is shown inactive

    assert "deleted" in ok(cli("client-alias", "delete", "fast", "--brand", "acme"))
    failed(cli("client-alias", "delete", "fast", "--brand", "acme"), "No client alias")
    failed(cli("client-alias", "list", "--brand", "nobody"), "brand 'nobody' not found")
    database = Database(database_url)
    try:
        with database.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM client_alias")).scalar() == 0
    finally:
        database.dispose()

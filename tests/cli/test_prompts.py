"""The ``prompt`` commands end to end, in-process through ``main(argv)``, on SQLite and
PostgreSQL: create, list, search, show (JSON, any version), update (a version, settings
merged), delete; refusals exit 1 with the API's message."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from gate_service.auth.identity import IdentityStore
from gate_service.storage.database import Database
from tests.cli.conftest import MainRunner

PROMPT_ID = re.compile(r"prm_[0-9a-f]{24}")
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(database_url: str, db: Database, main_runner: MainRunner) -> Run:
    IdentityStore(db).create_brand("acme")
    IdentityStore(db).create_brand("other")

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return main_runner(*args, "--database-url", database_url, stdin=stdin)

    return run


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def show(cli: Run, prompt_id: str, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        ok(cli("prompt", "show", prompt_id, "--brand", "acme", *args))
    )
    return data


def test_create_show_update_versions_and_delete(cli: Run) -> None:
    out = ok(
        cli(
            "prompt",
            "create",
            "triage",
            "--brand",
            "acme",
            "--project",
            "support",
            "--system-file",
            "-",
            "--model",
            "spideriq/fast",
            "--temperature",
            "0.2",
            "--stop",
            "END",
            "--stop",
            "STOP",
            stdin="You triage tickets for {{company}}.\nBe brief.",
        )
    )
    prompt_id = out.strip()
    assert PROMPT_ID.fullmatch(prompt_id)
    p = show(cli, prompt_id)
    assert p["system_prompt"] == "You triage tickets for {{company}}.\nBe brief."
    assert p["variables"] == ["company"] and p["project_id"] == "support"
    assert p["settings"]["temperature"] == 0.2 and p["settings"]["stop"] == ["END", "STOP"]
    assert p["model"] == "spideriq/fast" and p["version"] == 1

    # Settings flags change those settings and keep the others; a version is made.
    ok(cli("prompt", "update", prompt_id, "--brand", "acme", "--top-p", "0.5", "--no-model"))
    p2 = show(cli, prompt_id)
    assert p2["version"] == 2 and p2["model"] is None
    assert p2["settings"]["top_p"] == 0.5 and p2["settings"]["temperature"] == 0.2
    assert show(cli, prompt_id, "--version", "1")["model"] == "spideriq/fast"
    ok(cli("prompt", "update", prompt_id, "--brand", "acme", "--clear-settings", "--seed", "3"))
    p3 = show(cli, prompt_id)
    assert p3["settings"]["seed"] == 3 and p3["settings"]["temperature"] is None

    # Another brand does not see it.
    refused = cli("prompt", "show", prompt_id, "--brand", "other")
    assert refused.returncode == 1 and "No prompt" in refused.stderr

    ok(cli("prompt", "delete", prompt_id, "--brand", "acme"))
    gone = cli("prompt", "show", prompt_id, "--brand", "acme")
    assert gone.returncode == 1 and "No prompt" in gone.stderr


def test_list_and_search(cli: Run) -> None:
    for name, project, text in (
        ("alpha", None, "About the sea."),
        ("beta", "sales", "Qualify leads."),
        ("gamma", "sales", "Summarise calls."),
    ):
        args = ["prompt", "create", name, "--brand", "acme", "--system", text]
        ok(cli(*args, *(["--project", project] if project else [])))
    listed = ok(cli("prompt", "list", "--brand", "acme")).splitlines()
    assert listed[0].split()[:4] == ["ID", "PROJECT", "NAME", "VERSION"]
    assert [line.split()[2] for line in listed[1:]] == ["gamma", "beta", "alpha"]
    sales = ok(cli("prompt", "list", "--brand", "acme", "--project", "sales")).splitlines()
    assert [line.split()[2] for line in sales[1:]] == ["gamma", "beta"]
    found = ok(cli("prompt", "search", "SEA", "--brand", "acme")).splitlines()
    assert [line.split()[2] for line in found[1:]] == ["alpha"]
    nothing = cli("prompt", "search", "sea", "--brand", "other")
    assert (
        nothing.returncode == 0 and nothing.stdout == "" and "no prompt matches" in nothing.stderr
    )
    paged = cli("prompt", "list", "--brand", "acme", "--limit", "1")
    assert len(ok(paged).splitlines()) == 2 and "--offset" in paged.stderr


def test_refusals_exit_1_with_the_apis_message(cli: Run) -> None:
    ok(cli("prompt", "create", "dup", "--brand", "acme"))
    again = cli("prompt", "create", "dup", "--brand", "acme")
    assert again.returncode == 1 and "already exists" in again.stderr
    hot = cli("prompt", "create", "hot", "--brand", "acme", "--temperature", "5")
    assert hot.returncode == 1 and "settings.temperature" in hot.stderr
    undeclared = cli(
        "prompt", "create", "v", "--brand", "acme", "--system", "Hi {{who}}", "--variable", "x"
    )
    assert undeclared.returncode == 1 and "who" in undeclared.stderr
    nobody = cli("prompt", "list", "--brand", "nobody")
    assert nobody.returncode == 1 and "brand 'nobody' not found" in nobody.stderr

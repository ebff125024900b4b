"""The ``invite`` commands end to end on SQLite, run in-process (``main``), with a real
local SMTP server (aiosmtpd): create sends the mail itself when it has mail settings and
queues it otherwise; list shows only the key's preview; withdraw ends a pending invite;
what the API refuses, the CLI refuses (exit 1, ``error: ...``)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import MainRunner
from tests.e2e.invite_support import Inbox, link_token, smtp_server

INVITE_ID = re.compile(r"inv_[0-9a-f]{16}")
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    yield from smtp_server()


@pytest.fixture
def cli(tmp_path: Path, main_runner: MainRunner) -> Run:
    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return main_runner(*args, "--data-dir", str(tmp_path / "state"), env=env)

    return run


def mail_env(port: int) -> dict[str, str]:
    return {
        "SPIDERGATE_SMTP_HOST": "127.0.0.1",
        "SPIDERGATE_SMTP_PORT": str(port),
        "SPIDERGATE_SMTP_FROM": "gateway@spidergate.test",
        "SPIDERGATE_SMTP_SECURITY": "none",
        "SPIDERGATE_PUBLIC_URL": "http://127.0.0.1:8080",
    }


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def failed(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("error: ") and fragment in result.stderr, result.stderr


def test_create_mails_lists_and_withdraws(cli: Run, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    ok(cli("brand", "create", "acme"))
    out = ok(
        cli(
            *("invite", "create", "ana@example.com", "groq", "--brand", "acme"),
            *("--message", "Please add your Groq key"),
            env=mail_env(port),
        )
    )
    invite_id = INVITE_ID.search(out)
    assert invite_id and "pending" in out and "sent" in out
    mail = inbox.wait_for("ana@example.com")
    token = link_token(mail)
    assert token not in out

    listing = ok(cli("invite", "list", "--brand", "acme"))
    row = next(line for line in listing.splitlines() if invite_id.group() in line)
    assert "ana@example.com" in row and "pending" in row and token not in listing

    ok(cli("brand", "create", "other"))
    failed(cli("invite", "withdraw", invite_id.group(), "--brand", "other"), "invite not found")
    withdrawn = ok(cli("invite", "withdraw", invite_id.group(), "--brand", "acme"))
    assert withdrawn.startswith(f"withdrew {invite_id.group()}")
    assert "revoked" in ok(cli("invite", "list", "--brand", "acme", "--status", "revoked"))
    failed(cli("invite", "withdraw", invite_id.group(), "--brand", "acme"), "only a pending")


def test_without_mail_settings_the_mail_is_queued(cli: Run) -> None:
    ok(cli("brand", "create", "acme"))
    result = cli("invite", "create", "bo@example.com", "groq", "--brand", "acme")
    assert "queued" in ok(result) and "a running gateway" in result.stderr


def test_refusals(cli: Run) -> None:
    ok(cli("brand", "create", "acme"))
    failed(cli("invite", "create", "nobody", "groq", "--brand", "acme"), "email must be")
    failed(cli("invite", "create", "a@example.com", "nope", "--brand", "acme"), "unknown provider")
    failed(cli("invite", "create", "a@example.com", "groq", "--brand", "ghost"), "not found")
    assert "no invites" in cli("invite", "list", "--brand", "acme").stderr

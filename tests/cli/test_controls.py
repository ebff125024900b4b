"""``token mint`` / ``token update`` control flags and ``brand budget``, end to end:
run in-process through ``main(argv)``, checked against the database."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gate_service.auth.identity import IdentityStore
from gate_service.auth.principal import BrandControls, TokenControls
from gate_service.storage.database import Database
from tests.cli.conftest import MainRunner

Run = Callable[..., subprocess.CompletedProcess[str]]
TTL_NOTE = "running gateways apply this within 5 s (their authentication cache)"
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def run(database_url: str, main_runner: MainRunner) -> Run:
    if database_url.startswith("sqlite:///"):
        location = ["--data-dir", str(Path(database_url.removeprefix("sqlite:///")).parent)]
    else:
        location = ["--database-url", database_url]
    return lambda *args: main_runner(*args, *location)


@pytest.fixture
def store(database_url: str) -> Iterator[IdentityStore]:
    database = Database(database_url)
    yield IdentityStore(database)
    database.dispose()


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0 and result.stdout == ""
    return result.stderr


def _mint(run: Run, *flags: str) -> tuple[str, str]:
    minted = ok(run("token", "mint", "--brand", "acme", "--name", "agent", *flags))
    token = minted.stdout.strip()
    assert minted.stdout == token + "\n"  # the token alone on stdout
    found = re.search(r"tok_[0-9a-f]{16}", minted.stderr)
    assert found is not None
    return found.group(), token


def test_mint_with_every_control(run: Run, store: IdentityStore) -> None:
    ok(run("brand", "create", "acme"))
    _, token = _mint(
        run,
        *("--rpm", "60", "--rpd", "1000", "--budget", "$10", "--budget-mode", "soft"),
        *("--allow", "gpt-4o", "--allow", "spideriq/fast,spideriq/coding", "--free-only"),
        *("--scopes", "gate:chat,gate:usage"),
    )
    principal = store.authenticate(token)
    assert principal.controls == TokenControls(
        rpm=60,
        rpd=1000,
        budget_usd=10.0,
        budget_mode="soft",
        allowed_models=frozenset({"gpt-4o", "spideriq/fast", "spideriq/coding"}),
        free_only=True,
    )
    assert principal.scopes == {"gate:chat", "gate:usage"}


@sqlite_only
def test_update_sets_and_clears(run: Run, store: IdentityStore) -> None:
    ok(run("brand", "create", "acme"))
    token_id, token = _mint(run, "--rpm", "60", "--budget", "5", "--allow", "gpt-4o")
    updated = ok(run("token", "update", "--brand", "acme", token_id, "--rpd", "500", "--free-only"))
    assert f"token {token_id} (agent): rpm 60, rpd 500, budget $5.00/month (hard)" in updated.stdout
    assert updated.stderr.strip().endswith(TTL_NOTE)
    assert store.authenticate(token).controls == TokenControls(
        rpm=60, rpd=500, budget_usd=5.0, allowed_models=frozenset({"gpt-4o"}), free_only=True
    )
    ok(
        run(
            *("token", "update", "--brand", "acme", token_id),
            *("--no-rpm", "--no-budget", "--allow-all", "--no-free-only"),
        )
    )
    assert store.authenticate(token).controls == TokenControls(rpd=500)
    listing = ok(run("token", "list", "--brand", "acme")).stdout
    assert "rpm -, rpd 500, budget -, models: all" in listing


@sqlite_only
def test_update_errors(run: Run) -> None:
    ok(run("brand", "create", "acme"))
    ok(run("brand", "create", "other"))
    token_id, _ = _mint(run)
    assert "nothing to change" in error(run("token", "update", "--brand", "acme", token_id))
    both = run("token", "update", "--brand", "acme", token_id, "--rpm", "5", "--no-rpm")
    assert "not allowed with argument" in error(both)
    assert error(run("token", "update", "--brand", "other", token_id, "--rpm", "5")) == (
        "error: token not found\n"
    )
    zero = run("token", "update", "--brand", "acme", token_id, "--rpm", "0")
    assert error(zero) == "error: rpm must be a whole number of at least 1\n"
    bad = run("token", "update", "--brand", "acme", token_id, "--budget", "lots")
    assert "not an amount of US dollars" in error(bad)


@sqlite_only
def test_unknown_models_are_warned_about(run: Run) -> None:
    ok(run("brand", "create", "acme"))
    minted = ok(run("token", "mint", "--brand", "acme", "--name", "a", "--allow", "gpt-4o,gtp-4o"))
    assert "warning: 'gtp-4o' is not a model or alias of the catalog" in minted.stderr
    assert "'gpt-4o'" not in minted.stderr


def test_brand_budget(run: Run, store: IdentityStore) -> None:
    ok(run("brand", "create", "acme"))
    shown = ok(run("brand", "budget", "acme"))
    assert shown.stdout == "brand acme: no budget, period starts on day 1 (UTC)\n"
    assert TTL_NOTE not in shown.stderr  # nothing changed
    changed = ok(
        run("brand", "budget", "acme", "--budget", "250", "--mode", "soft", "--anchor-day", "15")
    )
    assert changed.stdout == (
        "brand acme: budget $250.00/month (soft), period starts on day 15 (UTC)\n"
    )
    assert TTL_NOTE in changed.stderr
    brand = store.brand_by_name("acme")
    assert brand is not None and brand.controls == BrandControls(250.0, "soft", 15)
    assert "budget $250.00/month (soft)" in ok(run("brand", "list")).stdout
    ok(run("brand", "budget", "acme", "--no-budget"))
    brand = store.brand_by_name("acme")
    assert brand is not None and brand.controls == BrandControls(None, "soft", 15)
    late = run("brand", "budget", "acme", "--anchor-day", "31")
    assert error(late) == "error: billing_anchor_day must be a day of the month from 1 to 28\n"
    assert error(run("brand", "budget", "nope", "--budget", "1")) == (
        "error: brand 'nope' not found\n"
    )


def test_brand_capture_and_the_token_override(run: Run, store: IdentityStore) -> None:
    ok(run("brand", "create", "acme"))
    shown = ok(run("brand", "capture", "acme"))
    assert shown.stdout == (
        "brand acme: capture off, kept 30 days, messages cut at 32768 characters\n"
    )
    assert TTL_NOTE not in shown.stderr
    changed = ok(
        run("brand", "capture", "acme", "--on", "--retention-days", "7", "--max-chars", "4096")
    )
    assert (
        changed.stdout == "brand acme: capture on, kept 7 days, messages cut at 4096 characters\n"
    )
    assert TTL_NOTE in changed.stderr
    brand = store.brand_by_name("acme")
    assert brand is not None
    assert (
        brand.controls.capture_enabled,
        brand.controls.capture_retention_days,
        brand.controls.capture_max_chars,
    ) == (True, 7, 4096)
    assert error(run("brand", "capture", "acme", "--retention-days", "0")) == (
        "error: capture_retention_days must be a whole number of days from 1 to 3650\n"
    )
    assert "capture_max_chars must be" in error(run("brand", "capture", "acme", "--max-chars", "9"))
    ok(run("brand", "capture", "acme", "--off"))
    brand = store.brand_by_name("acme")
    assert brand is not None and brand.controls.capture_enabled is False

    token_id, _ = _mint(run, "--capture", "on")
    (view,) = store.list_tokens(brand.client_id)
    assert view.controls.capture is True
    off = ok(run("token", "update", token_id, "--brand", "acme", "--capture", "off"))
    assert "capture off" in off.stdout
    assert store.list_tokens(brand.client_id)[0].controls.capture is False
    ok(run("token", "update", token_id, "--brand", "acme", "--capture", "inherit"))
    assert store.list_tokens(brand.client_id)[0].controls.capture is None

"""The control flags of ``token mint``, ``token update``, ``brand budget`` and
``brand capture``: parsing them,
and describing controls back to the operator in one line.

Flags map to :class:`~gate_service.auth.principal.TokenControls` fields; on ``update`` a
flag not given leaves its field alone (``UNSET``) and the ``--no-*`` / ``--allow-all``
flags clear one. Values are validated by the identity store, so the CLI and any other
caller share one set of rules.
"""

from __future__ import annotations

import argparse
from typing import Any

from gate_service.auth.controls import UNSET
from gate_service.auth.principal import BUDGET_MODES, BrandControls, TokenControls
from gate_service.catalog import persist
from gate_service.catalog.loader import load_bundled
from gate_service.catalog.snapshot import Catalog
from gate_service.client_aliases.records import split_model
from gate_service.client_aliases.store import ClientAliasStore
from gate_service.errors import GateError
from gate_service.governance.answers import usd
from gate_service.routing.resolve import resolve
from gate_service.storage.database import Database


def dollars(text: str) -> float:
    """``10``, ``$10``, ``0.01``: a USD amount for argparse."""
    try:
        return float(text.strip().removeprefix("$"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an amount of US dollars: '{text}'") from None


def _models(values: list[str] | None) -> list[str]:
    """``--allow a --allow b,c`` -> ``[a, b, c]``."""
    return [m for value in values or () for m in value.replace(",", " ").split()]


def add_token_flags(parser: argparse.ArgumentParser, *, update: bool) -> None:
    """The per-token control flags; ``update`` adds the ones that clear a control."""
    limits = parser.add_argument_group("per-token controls")
    rpm = limits.add_mutually_exclusive_group() if update else limits
    rpm.add_argument("--rpm", type=int, help="requests per minute (sliding 60 s window)")
    rpd = limits.add_mutually_exclusive_group() if update else limits
    rpd.add_argument("--rpd", type=int, help="requests per day (sliding 24 h window)")
    budget = limits.add_mutually_exclusive_group() if update else limits
    budget.add_argument("--budget", type=dollars, metavar="USD", help="monthly budget in USD")
    limits.add_argument(
        "--budget-mode",
        choices=BUDGET_MODES,
        help="soft: warn (X-SpiderGate-Budget-Warning); hard: 402 (default hard)",
    )
    allow = limits.add_mutually_exclusive_group() if update else limits
    allow.add_argument(
        "--allow",
        action="append",
        metavar="MODEL",
        help="allowed alias or model id; repeat (or comma-separate) for several",
    )
    limits.add_argument(
        "--free-only",
        action=argparse.BooleanOptionalAction if update else "store_true",
        default=None,
        help="only free-tier models may serve",
    )
    limits.add_argument("--scopes", help="comma-separated, e.g. gate:chat,gate:usage")
    limits.add_argument(
        "--capture",
        choices=("on", "off", "inherit"),
        help="content capture for this token's traces: on, off, or the brand's setting",
    )
    if update:
        rpm.add_argument("--no-rpm", action="store_true", help="remove the per-minute limit")
        rpd.add_argument("--no-rpd", action="store_true", help="remove the per-day limit")
        budget.add_argument("--no-budget", action="store_true", help="remove the budget")
        allow.add_argument("--allow-all", action="store_true", help="allow every model")


def scopes_from(args: argparse.Namespace) -> list[str] | None:
    return None if args.scopes is None else args.scopes.replace(",", " ").split()


def mint_controls(args: argparse.Namespace) -> TokenControls:
    """The controls ``token mint`` asks for (unset flags: no limit)."""
    return TokenControls(
        rpm=args.rpm,
        rpd=args.rpd,
        budget_usd=args.budget,
        budget_mode=args.budget_mode or "hard",
        allowed_models=frozenset(_models(args.allow)),
        free_only=bool(args.free_only),
        capture=_capture(args.capture),
    )


def _capture(value: str | None) -> bool | None:
    """``--capture on|off|inherit`` as the token's override (None: follow the brand)."""
    return {"on": True, "off": False}.get(value or "inherit")


def update_changes(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for ``IdentityStore.update_token``: only what the flags change."""

    def pick(value: Any, clear: bool) -> Any:
        return None if clear else UNSET if value is None else value

    changes: dict[str, Any] = {
        "rpm": pick(args.rpm, args.no_rpm),
        "rpd": pick(args.rpd, args.no_rpd),
        "budget_usd": pick(args.budget, args.no_budget),
        "budget_mode": UNSET if args.budget_mode is None else args.budget_mode,
        "allowed_models": [] if args.allow_all else UNSET if args.allow is None else None,
        "free_only": UNSET if args.free_only is None else args.free_only,
        "scopes": UNSET if args.scopes is None else scopes_from(args),
        "capture": UNSET if args.capture is None else _capture(args.capture),
    }
    if changes["allowed_models"] is None:
        changes["allowed_models"] = _models(args.allow)
    return {k: v for k, v in changes.items() if v is not UNSET}


def describe_token(controls: TokenControls) -> str:
    """``rpm 60, rpd -, budget $10.00 (hard), models: all`` and so on."""
    parts = [
        f"rpm {controls.rpm or '-'}",
        f"rpd {controls.rpd or '-'}",
        "budget -"
        if controls.budget_usd is None
        else f"budget {usd(controls.budget_usd)}/month ({controls.budget_mode})",
        "models: " + (", ".join(sorted(controls.allowed_models)) or "all"),
    ]
    if controls.free_only:
        parts.append("free-only")
    if controls.capture is not None:
        parts.append("capture " + ("on" if controls.capture else "off"))
    return ", ".join(parts)


def describe_brand(controls: BrandControls) -> str:
    budget = (
        "no budget"
        if controls.budget_usd is None
        else f"budget {usd(controls.budget_usd)}/month ({controls.budget_mode})"
    )
    return f"{budget}, period starts on day {controls.billing_anchor_day} (UTC)"


def unknown_models(db: Database, models: frozenset[str]) -> list[str]:
    """The allowed names the catalog does not know (the stored one, or the bundled one
    before a gateway first seeded it): a typo would otherwise get the agent 403s."""
    if not models:
        return []
    try:
        catalog = persist.load_from_db(db.session_factory())
        if not catalog.models:
            catalog = Catalog(load_bundled())
    except (ValueError, OSError):
        return []
    unknown = []
    for name in sorted(models):
        if (own := split_model(name)) is not None:
            # A client alias: known when the brand has one of that name.
            try:
                ClientAliasStore(db).get(*own)
            except GateError:
                unknown.append(name)
            continue
        try:
            resolve(catalog, name)
        except GateError:
            unknown.append(name)
    return unknown


def describe_capture(controls: BrandControls) -> str:
    """``capture on, kept 30 days, messages cut at 32768 characters``."""
    state = "on" if controls.capture_enabled else "off"
    return (
        f"capture {state}, kept {controls.capture_retention_days} days, "
        f"messages cut at {controls.capture_max_chars} characters"
    )

"""Operator commands: ``brand`` and ``token`` here, ``key`` and ``vault`` in
``cli/keys.py``, ``client-alias`` in ``cli/client_aliases.py``.

Secrets are shown once, as the last line of stdout, so
``TOKEN=$(spidergate token mint ... | tail -n 1)`` works; notes for humans go to stderr.
Opening the database and failing cleanly are shared (``cli/support.py``); the control
flags (``--rpm``, ``--budget``, ``--allow``...) live in ``cli/controls.py``.

Controls are read with the token when a gateway authenticates it, so a change made here
reaches running gateways when their authentication cache expires (``auth_cache_ttl_s``,
5 s by default); every command that changes one says so.
"""

from __future__ import annotations

import argparse

from gate_service.auth.controls import UNSET
from gate_service.auth.identity import IdentityStore
from gate_service.cli import client_aliases, controls, keys
from gate_service.cli.support import (
    SubParsers,
    brand_named,
    handler,
    note,
    table,
    when,
)
from gate_service.config import Settings
from gate_service.errors import GateError
from gate_service.storage.database import Database


def register(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    """Add the ``brand``, ``token``, ``key`` and ``vault`` command groups to the parser tree."""
    _register_brand(sub, common)
    _register_token(sub, common)
    keys.register(sub, common)
    client_aliases.register(sub, common)


def _register_brand(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("brand", help="create and list brands (workspaces)")
    commands = group.add_subparsers(dest="brand_command", required=True)
    create = commands.add_parser(
        "create", parents=[common], help="create a brand and its first client credential"
    )
    create.add_argument("name", help="brand name, unique")
    create.set_defaults(handler=handler(brand_create))
    listing = commands.add_parser("list", parents=[common], help="list brands")
    listing.set_defaults(handler=handler(brand_list))
    budget = commands.add_parser(
        "budget",
        parents=[common],
        help="show or set a brand's monthly budget and billing anchor day",
    )
    budget.add_argument("name", help="brand name")
    cap = budget.add_mutually_exclusive_group()
    cap.add_argument("--budget", type=controls.dollars, metavar="USD", help="monthly budget")
    cap.add_argument("--no-budget", action="store_true", help="remove the budget")
    budget.add_argument("--mode", choices=("soft", "hard"), help="soft: warn; hard: 402")
    budget.add_argument(
        "--anchor-day", type=int, metavar="N", help="day of the month budgets reset (1-28, UTC)"
    )
    budget.set_defaults(handler=handler(brand_budget))
    capture = commands.add_parser(
        "capture",
        parents=[common],
        help="show or set a brand's content capture for traces (off by default)",
    )
    capture.add_argument("name", help="brand name")
    switch = capture.add_mutually_exclusive_group()
    switch.add_argument("--on", dest="enabled", action="store_const", const=True, default=None)
    switch.add_argument("--off", dest="enabled", action="store_const", const=False)
    capture.add_argument(
        "--retention-days", type=int, metavar="N", help="keep captured messages N days (1-3650)"
    )
    capture.add_argument(
        "--max-chars", type=int, metavar="N", help="cut each captured message to N characters"
    )
    capture.set_defaults(handler=handler(brand_capture))


def _register_token(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("token", help="mint, list and revoke agent tokens")
    commands = group.add_subparsers(dest="token_command", required=True)
    mint = commands.add_parser("mint", parents=[common], help="mint an agent token")
    mint.add_argument("--brand", required=True, help="brand name")
    mint.add_argument("--name", required=True, help="agent name")
    controls.add_token_flags(mint, update=False)
    mint.set_defaults(handler=handler(token_mint))
    update = commands.add_parser(
        "update", parents=[common], help="change an agent token's controls or scopes"
    )
    update.add_argument("--brand", required=True, help="brand name")
    update.add_argument("token_id", help="the token's id (tok_...)")
    controls.add_token_flags(update, update=True)
    update.set_defaults(handler=handler(token_update))
    listing = commands.add_parser("list", parents=[common], help="list a brand's tokens")
    listing.add_argument("--brand", required=True, help="brand name")
    listing.add_argument("--all", action="store_true", help="include revoked tokens")
    listing.set_defaults(handler=handler(token_list))
    revoke = commands.add_parser("revoke", parents=[common], help="revoke an agent token")
    revoke.add_argument("--brand", required=True, help="brand name")
    revoke.add_argument("token_id", help="the token's id (tok_...)")
    revoke.set_defaults(handler=handler(token_revoke))


def brand_create(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``brand create NAME``: the brand's client id, then its credential as the last line."""
    brand, credential = IdentityStore(db).create_brand(args.name)
    print(f"brand:     {brand.name}")
    print(f"client_id: {brand.client_id}")
    note("Client credential (shown only once, store it now):")
    print(credential)
    return 0


def brand_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``brand list``."""
    brands = IdentityStore(db).list_brands()
    rows = [
        (b.client_id, b.name, when(b.created_at), controls.describe_brand(b.controls))
        for b in brands
    ]
    table(("CLIENT_ID", "NAME", "CREATED", "BUDGET"), rows, "no brands")
    return 0


def brand_capture(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``brand capture NAME [--on | --off] [--retention-days N] [--max-chars N]``."""
    store = IdentityStore(db)
    brand = brand_named(store, args.name)
    changes = {
        k: v
        for k, v in (
            ("enabled", args.enabled),
            ("retention_days", args.retention_days),
            ("max_chars", args.max_chars),
        )
        if v is not None
    }
    if changes:
        brand = store.set_brand_capture(brand.client_id, **changes)
    print(f"brand {brand.name}: {controls.describe_capture(brand.controls)}")
    if changes:
        _applies_within(settings)
    return 0


def brand_budget(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``brand budget NAME [--budget USD | --no-budget] [--mode] [--anchor-day]``."""
    store = IdentityStore(db)
    brand = brand_named(store, args.name)
    budget = None if args.no_budget else UNSET if args.budget is None else args.budget
    mode = UNSET if args.mode is None else args.mode
    anchor = UNSET if args.anchor_day is None else args.anchor_day
    changed = any(v is not UNSET for v in (budget, mode, anchor))
    if changed:
        brand = store.set_brand_budget(
            brand.client_id, budget_usd=budget, budget_mode=mode, billing_anchor_day=anchor
        )
    print(f"brand {brand.name}: {controls.describe_brand(brand.controls)}")
    if changed:
        _applies_within(settings)
    return 0


def token_mint(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``token mint``: details on stderr, the token alone on stdout."""
    store = IdentityStore(db)
    brand = brand_named(store, args.brand)
    wanted = controls.mint_controls(args)
    view, token = store.mint_token(brand.client_id, args.name, controls.scopes_from(args), wanted)
    _warn_unknown(db, view.controls.allowed_models)
    note(
        f"token {view.id} for agent '{view.name}' of brand '{brand.name}'"
        f" (scopes: {' '.join(view.scopes)}; {controls.describe_token(view.controls)});"
        " shown only once, store it now:"
    )
    print(token)
    return 0


def token_update(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``token update --brand NAME TOKEN_ID [flags]``: what changes, and when it applies."""
    changes = controls.update_changes(args)
    if not changes:
        raise GateError(
            "invalid_request",
            "nothing to change: give --rpm, --rpd, --budget, --budget-mode, --allow, "
            "--free-only, --scopes or one of their --no-* forms",
        )
    store = IdentityStore(db)
    brand = brand_named(store, args.brand)
    view = store.update_token(brand.client_id, args.token_id, **changes)
    _warn_unknown(db, view.controls.allowed_models)
    print(f"token {view.id} ({view.name}): {controls.describe_token(view.controls)}")
    print(f"scopes: {' '.join(view.scopes)}")
    _applies_within(settings)
    return 0


def _applies_within(settings: Settings) -> None:
    note(
        f"running gateways apply this within {settings.auth_cache_ttl_s:g} s"
        " (their authentication cache)"
    )


def _warn_unknown(db: Database, models: frozenset[str]) -> None:
    for name in controls.unknown_models(db, models):
        note(f"warning: '{name}' is not a model or alias of the catalog; it allows nothing")


def token_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``token list``: ids and prefixes, never tokens."""
    store = IdentityStore(db)
    brand = brand_named(store, args.brand)
    views = store.list_tokens(brand.client_id, include_revoked=args.all)
    rows = [
        (
            v.id,
            v.name,
            v.prefix + "…",
            ",".join(v.scopes),
            when(v.created_at),
            when(v.revoked_at),
            controls.describe_token(v.controls),
        )
        for v in views
    ]
    header = ("ID", "NAME", "PREFIX", "SCOPES", "CREATED", "REVOKED", "CONTROLS")
    table(header, rows, "no tokens")
    return 0


def token_revoke(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``token revoke``: takes effect everywhere within the auth cache TTL."""
    store = IdentityStore(db)
    brand = brand_named(store, args.brand)
    view = store.revoke_token(brand.client_id, args.token_id)
    print(f"revoked {view.id} ({view.name})")
    note(
        f"running gateways stop accepting it within {settings.auth_cache_ttl_s:g} s"
        " (their authentication cache)"
    )
    return 0

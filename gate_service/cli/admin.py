"""Operator commands: ``brand`` and ``token`` here, ``key`` and ``vault`` in
``cli/keys.py``.

Secrets are shown once, as the last line of stdout, so
``TOKEN=$(spidergate token mint ... | tail -n 1)`` works; notes for humans go to stderr.
Opening the database and failing cleanly are shared (``cli/support.py``).
"""

from __future__ import annotations

import argparse

from gate_service.auth.identity import IdentityStore
from gate_service.cli import keys
from gate_service.cli.support import (
    SubParsers,
    brand_named,
    handler,
    note,
    table,
    when,
)
from gate_service.config import Settings
from gate_service.storage.database import Database


def register(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    """Add the ``brand``, ``token``, ``key`` and ``vault`` command groups to the parser tree."""
    _register_brand(sub, common)
    _register_token(sub, common)
    keys.register(sub, common)


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


def _register_token(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("token", help="mint, list and revoke agent tokens")
    commands = group.add_subparsers(dest="token_command", required=True)
    mint = commands.add_parser("mint", parents=[common], help="mint an agent token")
    mint.add_argument("--brand", required=True, help="brand name")
    mint.add_argument("--name", required=True, help="agent name")
    mint.add_argument("--scopes", help="comma-separated, e.g. gate:chat,gate:models (default: all)")
    mint.set_defaults(handler=handler(token_mint))
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
    rows = [(b.client_id, b.name, when(b.created_at)) for b in brands]
    table(("CLIENT_ID", "NAME", "CREATED"), rows, "no brands")
    return 0


def token_mint(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``token mint``: details on stderr, the token alone on stdout."""
    store = IdentityStore(db)
    brand = brand_named(store, args.brand)
    scopes = None if args.scopes is None else args.scopes.replace(",", " ").split()
    view, token = store.mint_token(brand.client_id, args.name, scopes)
    note(
        f"token {view.id} for agent '{view.name}' of brand '{brand.name}'"
        f" (scopes: {' '.join(view.scopes)}); shown only once, store it now:"
    )
    print(token)
    return 0


def token_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``token list``: ids and prefixes, never tokens."""
    store = IdentityStore(db)
    brand = brand_named(store, args.brand)
    views = store.list_tokens(brand.client_id, include_revoked=args.all)
    rows = [
        (v.id, v.name, v.prefix + "…", ",".join(v.scopes), when(v.created_at), when(v.revoked_at))
        for v in views
    ]
    table(("ID", "NAME", "PREFIX", "SCOPES", "CREATED", "REVOKED"), rows, "no tokens")
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

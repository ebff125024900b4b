"""Operator commands: ``brand``, ``token`` and ``key``.

Each command opens the configured database (``--data-dir`` / ``--database-url``),
migrates it first so any command works on a fresh data directory, and exits 1 with
``error: <message>`` on stderr when something is wrong. Secrets are shown once, as the
last line of stdout, so ``TOKEN=$(spidergate token mint ... | tail -n 1)`` works; notes
for humans go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.exc import OperationalError

from gate_service.auth.identity import BrandView, IdentityStore
from gate_service.config import Settings
from gate_service.errors import GateError
from gate_service.storage.database import Database
from gate_service.vault.keys import KeyStore

Handler = Callable[[argparse.Namespace, Settings], int]
Action = Callable[[argparse.Namespace, Settings, Database], int]
SubParsers = argparse._SubParsersAction


def register(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    """Add the ``brand``, ``token`` and ``key`` command groups to the parser tree."""
    _register_brand(sub, common)
    _register_token(sub, common)
    _register_key(sub, common)


def _register_brand(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("brand", help="create and list brands (workspaces)")
    commands = group.add_subparsers(dest="brand_command", required=True)
    create = commands.add_parser(
        "create", parents=[common], help="create a brand and its first client credential"
    )
    create.add_argument("name", help="brand name, unique")
    create.set_defaults(handler=_handler(brand_create))
    listing = commands.add_parser("list", parents=[common], help="list brands")
    listing.set_defaults(handler=_handler(brand_list))


def _register_token(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("token", help="mint, list and revoke agent tokens")
    commands = group.add_subparsers(dest="token_command", required=True)
    mint = commands.add_parser("mint", parents=[common], help="mint an agent token")
    mint.add_argument("--brand", required=True, help="brand name")
    mint.add_argument("--name", required=True, help="agent name")
    mint.add_argument("--scopes", help="comma-separated, e.g. gate:chat,gate:models (default: all)")
    mint.set_defaults(handler=_handler(token_mint))
    listing = commands.add_parser("list", parents=[common], help="list a brand's tokens")
    listing.add_argument("--brand", required=True, help="brand name")
    listing.add_argument("--all", action="store_true", help="include revoked tokens")
    listing.set_defaults(handler=_handler(token_list))
    revoke = commands.add_parser("revoke", parents=[common], help="revoke an agent token")
    revoke.add_argument("--brand", required=True, help="brand name")
    revoke.add_argument("token_id", help="the token's id (tok_...)")
    revoke.set_defaults(handler=_handler(token_revoke))


def _register_key(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("key", help="add and list provider keys")
    commands = group.add_subparsers(dest="key_command", required=True)
    add = commands.add_parser("add", parents=[common], help="add a provider key")
    add.add_argument("provider", help="provider id, e.g. groq")
    add.add_argument("secret", help="the API key; '-' reads it from stdin (keeps it out of ps)")
    add.add_argument("--brand", help="owning brand; without it, a pool key")
    add.add_argument("--base-url", help="endpoint, e.g. for a local server")
    add.add_argument("--label", default="", help="free text to recognise the key")
    add.set_defaults(handler=_handler(key_add))
    listing = commands.add_parser(
        "list", parents=[common], help="list pool keys, or a brand's keys and the pool's"
    )
    listing.add_argument("--brand", help="brand name")
    listing.set_defaults(handler=_handler(key_list))


def _handler(action: Action) -> Handler:
    """Wrap a command: open and migrate the database, turn failures into exit status 1."""

    def handler(args: argparse.Namespace, settings: Settings) -> int:
        try:
            db = Database.from_settings(settings)
        except OSError as error:
            return _fail(f"cannot open the data directory: {error}")
        try:
            db.migrate()
            return action(args, settings, db)
        except GateError as error:
            return _fail(error.message)
        except OperationalError as error:
            return _fail(f"database unavailable: {error.orig or error}")
        finally:
            db.dispose()

    handler.__name__ = action.__name__
    handler.__doc__ = action.__doc__
    return handler


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _note(message: str) -> None:
    """A line for the human at the terminal, kept out of stdout."""
    sys.stdout.flush()
    print(message, file=sys.stderr, flush=True)


def _brand(store: IdentityStore, name: str) -> BrandView:
    brand = store.brand_by_name(name)
    if brand is None:
        raise GateError("not_found", f"brand '{name}' not found")
    return brand


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> None:
    if not rows:
        _note(empty)
        return
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def brand_create(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``brand create NAME``: the brand's client id, then its credential as the last line."""
    brand, credential = IdentityStore(db).create_brand(args.name)
    print(f"brand:     {brand.name}")
    print(f"client_id: {brand.client_id}")
    _note("Client credential (shown only once, store it now):")
    print(credential)
    return 0


def brand_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``brand list``."""
    brands = IdentityStore(db).list_brands()
    rows = [(b.client_id, b.name, _when(b.created_at)) for b in brands]
    _table(("CLIENT_ID", "NAME", "CREATED"), rows, "no brands")
    return 0


def token_mint(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``token mint``: details on stderr, the token alone on stdout."""
    store = IdentityStore(db)
    brand = _brand(store, args.brand)
    scopes = None if args.scopes is None else args.scopes.replace(",", " ").split()
    view, token = store.mint_token(brand.client_id, args.name, scopes)
    _note(
        f"token {view.id} for agent '{view.name}' of brand '{brand.name}'"
        f" (scopes: {' '.join(view.scopes)}); shown only once, store it now:"
    )
    print(token)
    return 0


def token_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``token list``: ids and prefixes, never tokens."""
    store = IdentityStore(db)
    brand = _brand(store, args.brand)
    views = store.list_tokens(brand.client_id, include_revoked=args.all)
    rows = [
        (v.id, v.name, v.prefix + "…", ",".join(v.scopes), _when(v.created_at), _when(v.revoked_at))
        for v in views
    ]
    _table(("ID", "NAME", "PREFIX", "SCOPES", "CREATED", "REVOKED"), rows, "no tokens")
    return 0


def token_revoke(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``token revoke``: takes effect everywhere within the auth cache TTL."""
    store = IdentityStore(db)
    brand = _brand(store, args.brand)
    view = store.revoke_token(brand.client_id, args.token_id)
    print(f"revoked {view.id} ({view.name})")
    _note(
        f"running gateways stop accepting it within {settings.auth_cache_ttl_s:g} s"
        " (their authentication cache)"
    )
    return 0


def key_add(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``key add``: prints the key id and masked preview, never the secret."""
    client_id = None
    if args.brand is not None:
        client_id = _brand(IdentityStore(db), args.brand).client_id
    secret = sys.stdin.readline().strip() if args.secret == "-" else args.secret
    view = KeyStore(db).add_key(
        args.provider, secret, client_id=client_id, base_url=args.base_url, label=args.label
    )
    owner = "pool" if view.client_id is None else f"brand {args.brand}"
    print(f"added {view.id} ({view.provider}, {owner}) {view.preview}".rstrip())
    return 0


def key_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``key list``: pool keys, or a brand's own keys followed by the pool's."""
    brands = {b.client_id: b.name for b in IdentityStore(db).list_brands()}
    client_id = None
    if args.brand is not None:
        client_id = _brand(IdentityStore(db), args.brand).client_id
    views = KeyStore(db).list_keys(client_id)
    views.sort(key=lambda v: v.client_id is None)  # brand keys first, as routing tries them
    rows = [
        (
            v.id,
            v.provider,
            "pool" if v.client_id is None else brands.get(v.client_id, v.client_id),
            v.preview or "-",
            v.label or "-",
            "yes" if v.active else "no",
            v.base_url or "-",
        )
        for v in views
    ]
    _table(("ID", "PROVIDER", "OWNER", "PREVIEW", "LABEL", "ACTIVE", "BASE_URL"), rows, "no keys")
    return 0

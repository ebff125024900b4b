"""Provider-key commands: ``key add|list|update|delete|deactivate|activate|health`` and
``vault rotate|generate-key``.

``--brand NAME`` addresses that brand's keys; without it, the pool's. The commands go
through the same ``VaultManager`` as the gRPC API, so they validate, test connections
and refuse exactly the same things. A running gateway picks up changes within its
refresh interval. Secrets are never printed: only masked previews.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from gate_service.auth.identity import IdentityStore
from gate_service.catalog import persist
from gate_service.cli.remote import fetch_health
from gate_service.cli.support import SubParsers, brand_named, fail, handler, note, table
from gate_service.config import Settings
from gate_service.providers.address_policy import AddressPolicy
from gate_service.providers.registry import default_adapters
from gate_service.providers.transport import create_session
from gate_service.routing.health import HealthBook
from gate_service.storage.database import Database
from gate_service.vault.cipher import (
    VaultCipher,
    VaultKeyError,
    generate_key,
    load_cipher,
    read_key_file,
    write_key_file,
)
from gate_service.vault.keys import KeyStore
from gate_service.vault.manager import Caller, VaultManager
from gate_service.vault.records import (
    DEFAULT_PRIORITY,
    KeyOptions,
    KeyPatch,
    KeyView,
    NewKey,
)

T = TypeVar("T")


def register(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    """Add the ``key`` and ``vault`` command groups."""
    group = sub.add_parser("key", help="manage provider keys (the vault)")
    commands = group.add_subparsers(dest="key_command", required=True)

    add = commands.add_parser("add", parents=[common], help="add a provider key")
    add.add_argument("provider", help="provider id, e.g. groq")
    add.add_argument("secret", help="the API key; '-' reads it from stdin (keeps it out of ps)")
    _key_options(add)
    add.set_defaults(handler=handler(key_add))

    listing = commands.add_parser(
        "list", parents=[common], help="list pool keys, or a brand's keys and the pool's"
    )
    listing.add_argument("--brand", help="brand name")
    listing.set_defaults(handler=handler(key_list))

    update = commands.add_parser("update", parents=[common], help="change a key")
    update.add_argument("key_id", help="the key's id (key_...)")
    update.add_argument("--secret", help="a new API key; '-' reads it from stdin")
    _key_options(update)
    update.set_defaults(handler=handler(key_update))

    for name, action, text in (
        ("delete", key_delete, "delete a key (its usage history is kept)"),
        ("deactivate", key_deactivate, "stop using a key (reversible)"),
        ("activate", key_activate, "use a key again"),
    ):
        command = commands.add_parser(name, parents=[common], help=text)
        command.add_argument("key_id", help="the key's id (key_...)")
        command.add_argument("--brand", help="owning brand; without it, a pool key")
        command.set_defaults(handler=handler(action))

    health = commands.add_parser("health", parents=[common], help="key health per provider")
    health.add_argument("--brand", help="brand name (database view only)")
    health.add_argument("--provider", help="only this provider")
    health.add_argument("--core", help="ask a running core (host:port) for live health")
    health.add_argument(
        "--token", help="with --core: a brand's client credential or the operator token"
    )
    health.set_defaults(handler=handler(key_health))

    vault = sub.add_parser("vault", help="the vault's master key")
    vault_commands = vault.add_subparsers(dest="vault_command", required=True)
    rotate = vault_commands.add_parser(
        "rotate", parents=[common], help="re-encrypt every key with the primary master key"
    )
    rotate.add_argument(
        "--generate",
        action="store_true",
        help="first put a new master key at the front of the key file (embedded default)",
    )
    rotate.set_defaults(handler=handler(vault_rotate))
    generate = vault_commands.add_parser(
        "generate-key", parents=[common], help="print a new master key"
    )
    generate.set_defaults(handler=lambda args, settings: _print_new_key())


def _key_options(parser: argparse.ArgumentParser) -> None:
    """The flags ``key add`` and ``key update`` share; unset means default / unchanged."""
    flag = argparse.BooleanOptionalAction
    parser.add_argument("--brand", help="owning brand; without it, a pool key")
    parser.add_argument("--base-url", help="the key's own endpoint ('' removes it)")
    parser.add_argument("--label", help="free text to recognise the key")
    parser.add_argument("--primary", action=flag, help="try this key before the others")
    parser.add_argument("--priority", type=int, help=f"lower runs first ({DEFAULT_PRIORITY})")
    parser.add_argument("--rpm", type=int, help="requests per minute it allows (0: no limit)")
    parser.add_argument("--rpd", type=int, help="requests per day it allows (0: no limit)")
    parser.add_argument("--spend-limit", type=float, metavar="USD", help="0: no limit")
    parser.add_argument("--spend-period", choices=("daily", "monthly"))
    parser.add_argument("--spend-action", choices=("warn", "block"))
    parser.add_argument("--embeddings", action=flag, help="the key may serve embeddings")
    parser.add_argument("--share", action=flag, help="share a brand key into the pool")
    parser.add_argument("--test", action="store_true", help="test against the provider first")
    parser.add_argument("--test-model", help="the model for --test (default: the first listed)")


def _print_new_key() -> int:
    print(generate_key())
    note("Put it first in SPIDERGATE_VAULT_KEYS (comma-separated), then `spidergate vault rotate`.")
    return 0


def _read_secret(value: str) -> str:
    return sys.stdin.readline().strip() if value == "-" else value


def _owner(args: argparse.Namespace, db: Database) -> str | None:
    if getattr(args, "brand", None) is None:
        return None
    return brand_named(IdentityStore(db), args.brand).client_id


def _open_store(settings: Settings, db: Database, cipher: VaultCipher | None = None) -> KeyStore:
    store = KeyStore(db, cipher or load_cipher(settings))
    store.open()
    return store


async def _nothing() -> None:
    """A CLI process has no routing snapshot to refresh."""


def _with_manager(
    settings: Settings, db: Database, work: Callable[[VaultManager], Awaitable[T]]
) -> T:
    """Run ``work`` with a manager over this database, as the API would."""
    store = _open_store(settings, db)
    persist.seed_if_empty(db.session_factory())
    catalog = persist.load_from_db(db.session_factory())

    policy = AddressPolicy.from_settings(settings.allowed_upstream_networks)

    async def main() -> T:
        async with create_session(policy) as session:
            manager = VaultManager(
                store,
                catalog=lambda: catalog,
                adapters=default_adapters(),
                session=session,
                health=HealthBook(),
                refresh=_nothing,
                policy=policy,
            )
            return await work(manager)

    return asyncio.run(main())


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The option flags given, by ``KeyOptions`` field name."""
    given = {
        "primary": args.primary,
        "priority": args.priority,
        "rpm_limit": args.rpm,
        "rpd_limit": args.rpd,
        "spend_limit_usd": args.spend_limit,
        "spend_period": args.spend_period,
        "spend_action": args.spend_action,
        "supports_embeddings": args.embeddings,
        "shared": args.share,
    }
    return {k: v for k, v in given.items() if v is not None}


def _owner_name(view: KeyView, brand: str | None) -> str:
    return "pool" if view.client_id is None else f"brand {brand}"


def key_add(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``key add``: prints the key id and masked preview, never the secret."""
    caller = Caller(_owner(args, db))
    new = NewKey(
        provider=args.provider,
        secret=_read_secret(args.secret),
        base_url=args.base_url,
        label=args.label or "",
        options=KeyOptions(**_options(args)),
        test_connection=args.test,
        test_model=args.test_model,
    )
    view = _with_manager(settings, db, lambda m: m.create(caller, new))
    print(f"added {view.id} ({view.provider}, {_owner_name(view, args.brand)}) {view.preview}")
    return 0


def key_update(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``key update KEY_ID``: only the flags given change."""
    caller = Caller(_owner(args, db))
    patch = KeyPatch(
        secret=None if args.secret is None else _read_secret(args.secret),
        base_url=args.base_url,
        label=args.label,
        **_options(args),
    )
    view = _with_manager(
        settings,
        db,
        lambda m: m.update(
            caller, args.key_id, patch, test_connection=args.test, test_model=args.test_model
        ),
    )
    print(f"updated {view.id} ({view.provider}, {_owner_name(view, args.brand)}) {view.preview}")
    return 0


def key_delete(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``key delete KEY_ID``: the row stays for usage history; the secret is destroyed."""
    store = _open_store(settings, db)
    view = store.delete_key(args.key_id, _owner(args, db))
    print(f"deleted {view.id} ({view.provider})")
    return 0


def key_deactivate(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``key deactivate KEY_ID``."""
    view = _open_store(settings, db).set_active(args.key_id, _owner(args, db), False)
    print(f"deactivated {view.id} ({view.provider})")
    return 0


def key_activate(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``key activate KEY_ID``."""
    view = _open_store(settings, db).set_active(args.key_id, _owner(args, db), True)
    print(f"activated {view.id} ({view.provider})")
    return 0


def _limits(view: KeyView) -> str:
    o = view.options
    parts = [
        f"{o.rpm_limit}/min" if o.rpm_limit else "",
        f"{o.rpd_limit}/day" if o.rpd_limit else "",
    ]
    if o.spend_limit_usd is not None:
        period = "day" if o.spend_period == "daily" else "month"
        parts.append(f"${o.spend_limit_usd:g}/{period} {o.spend_action}")
    return ",".join(p for p in parts if p) or "-"


def _rows(views: list[KeyView], brands: dict[str, str]) -> list[tuple[str, ...]]:
    return [
        (
            v.id,
            v.provider,
            "pool" if v.client_id is None else brands.get(v.client_id, v.client_id),
            v.preview or "-",
            v.label or "-",
            "yes" if v.active else "no",
            ("primary," if v.options.primary else "") + str(v.options.priority),
            _limits(v),
            "yes" if v.options.shared else "-",
            v.base_url or "-",
        )
        for v in views
    ]


_HEADER = ("ID", "PROVIDER", "OWNER", "PREVIEW", "LABEL", "ACTIVE", "ORDER", "LIMITS", "SHARED")


def key_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``key list``: pool keys, or a brand's own keys followed by the pool's."""
    brands = {b.client_id: b.name for b in IdentityStore(db).list_brands()}
    views = _open_store(settings, db).list_keys(_owner(args, db))
    views.sort(key=lambda v: v.client_id is None)  # brand keys first, as routing tries them
    table((*_HEADER, "BASE_URL"), _rows(views, brands), "no keys")
    return 0


def key_health(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``key health``: live, from a running core (``--core``), else what the database
    knows, which is every key's settings but none of its live state."""
    if args.core:
        return _remote_health(args, settings)
    brands = {b.client_id: b.name for b in IdentityStore(db).list_brands()}
    views = _open_store(settings, db).list_keys(_owner(args, db), args.provider)
    table(_HEADER, [row[:-1] for row in _rows(views, brands)], "no keys")
    note(
        "Live health (cooldowns, failures, invalid keys, spend) lives in each running"
        " gateway's memory and is not in the database: use --core HOST:PORT --token TOKEN"
        " to ask a running core."
    )
    return 0


def _remote_health(args: argparse.Namespace, settings: Settings) -> int:
    token = _read_secret(args.token) if args.token else settings.operator_token
    if not token:
        return fail("--core needs --token: a brand's client credential or the operator token")
    summary = asyncio.run(fetch_health(args.core, token, args.provider))
    for provider in summary["providers"]:
        print(f"{provider['provider']}: {provider['recommendation']}")
        rows = [
            (
                "  " + k["key_id"],
                k["preview"] or "-",
                "pool" if k["pool"] else "own",
                k["state"],
                str(k["failures"]),
                f"{k['cooldown_seconds']:.0f}s" if k["cooldown_seconds"] else "-",
                f"${k['spend_usd']:.4f}",
                k["last_error"] or "-",
            )
            for k in provider["keys"]
        ]
        header = ("  ID", "PREVIEW", "OWNER", "STATE", "FAILS", "COOLDOWN", "SPEND", "LAST_ERROR")
        table(header, rows, "  no keys")
    if not summary["providers"]:
        note("no keys")
    return 0


def vault_rotate(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``vault rotate``: every row re-encrypted with the primary master key."""
    cipher = None
    if args.generate:
        if settings.vault_keys:
            return fail(
                "the vault keys come from SPIDERGATE_VAULT_KEYS: put a new key first there"
                " (spidergate vault generate-key) and run `vault rotate` without --generate"
            )
        path = settings.vault_key_file
        old = read_key_file(path, create=True)
        _open_store(settings, db, VaultCipher(old))  # the database must fit the old keys
        keys = [generate_key(), *old]
        write_key_file(path, keys)
        cipher = VaultCipher(keys)
        note(f"added a new primary master key to {path}; the old ones stay for decryption")
    try:
        count = _open_store(settings, db, cipher).rotate()
    except VaultKeyError as error:
        return fail(f"vault: {error}")
    print(f"re-encrypted {count} provider key(s) with the primary master key")
    if args.generate:
        note("restart running gateways so they encrypt new keys with the new master key")
    return 0

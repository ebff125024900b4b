"""``spidergate alias list|show|validate|set|rollback``: platform alias administration
from the operator's shell, on the database directly (as ``key`` and ``brand`` are).

A change is written with its history row exactly as the API writes it (actor ``cli``)
and announced to running gateways: PostgreSQL's NOTIFY inside the same transaction, or a
Redis PUBLISH when ``--redis-url`` (or ``REDIS_URL``) is given with a SQLite file; every
replica serves it within seconds. ``validate`` probes each slot with one tiny real call
through the pool keys (the vault's and the environment's), bills nothing, changes nothing,
and exits 1 unless every slot answered.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from gate_service.aliasadmin.probe import ChainProber
from gate_service.aliasadmin.service import AliasAdmin
from gate_service.catalog import persist, probe_store
from gate_service.catalog.changes import catalog_changes
from gate_service.catalog.probes import ProbeBook
from gate_service.catalog.schema import Candidate
from gate_service.catalog.snapshot import Catalog
from gate_service.cli.support import SubParsers, handler, note, table, when
from gate_service.config import Settings
from gate_service.domain.alias_admin import AdminAlias, ChainChange, Rollback
from gate_service.errors import invalid
from gate_service.providers.address_policy import AddressPolicy
from gate_service.providers.registry import default_adapters
from gate_service.providers.transport import create_session
from gate_service.routing.health import HealthBook
from gate_service.routing.keys import KeyPool, UsableKey, env_keys
from gate_service.storage.database import Database
from gate_service.vault.cipher import load_cipher
from gate_service.vault.keys import KeyStore

ACTOR = "cli"
T = TypeVar("T")


def register(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    """Add the ``alias`` command group."""
    group = sub.add_parser("alias", help="platform alias chains: history, dry run, change")
    commands = group.add_subparsers(dest="alias_command", required=True)
    bus = argparse.ArgumentParser(add_help=False)
    bus.add_argument("--redis-url", help="announce changes on Redis (SQLite shared by processes)")

    listing = commands.add_parser("list", parents=[common], help="every alias and its chain")
    listing.set_defaults(handler=handler(alias_list))

    show = commands.add_parser("show", parents=[common], help="an alias's chain and history")
    show.add_argument("alias_id", help="e.g. spideriq/tool-use")
    show.set_defaults(handler=handler(alias_show))

    validate = commands.add_parser(
        "validate", parents=[common], help="dry-run probe of a proposed chain (nothing billed)"
    )
    validate.add_argument("alias_id")
    validate.add_argument("slots", nargs="+", metavar="provider:model")
    validate.set_defaults(handler=handler(alias_validate))

    change = commands.add_parser("set", parents=[common, bus], help="replace an alias's chain")
    change.add_argument("alias_id")
    change.add_argument("slots", nargs="+", metavar="provider:model")
    change.add_argument("--reason", default="", help="kept in the history row")
    change.set_defaults(handler=handler(alias_set))

    rollback = commands.add_parser(
        "rollback", parents=[common, bus], help="restore the chain of a history row"
    )
    rollback.add_argument("alias_id")
    rollback.add_argument("history_id", type=int, help="the row's id (see 'alias show')")
    rollback.add_argument("--reason", default="")
    rollback.set_defaults(handler=handler(alias_rollback))


def _slots(texts: list[str]) -> tuple[Candidate, ...]:
    try:
        return tuple(Candidate.parse(text) for text in texts)
    except ValueError as error:
        raise invalid(str(error), "chain") from None


def _pool(settings: Settings, db: Database, catalog: Catalog) -> KeyPool:
    """The pool keys a gateway on this database would route with (no brand keys)."""
    store = KeyStore(db, load_cipher(settings))
    store.open()
    vault = [
        UsableKey(
            id=r.view.id,
            provider=r.view.provider,
            client_id=None,
            preview=r.view.preview,
            base_url=r.view.base_url,
            source="vault",
            secret=r.secret,
        )
        for r in store.active_keys()
        if r.view.client_id is None or r.view.options.shared
    ]
    pool = KeyPool()
    pool.replace([*vault, *env_keys(catalog, settings.env_keys)])
    return pool


def _run(
    args: argparse.Namespace,
    settings: Settings,
    db: Database,
    work: Callable[[AliasAdmin], Awaitable[T]],
) -> T:
    """Run ``work`` with alias administration over this database, as the API would."""
    persist.seed_if_empty(db.session_factory())
    snapshot = [persist.load_from_db(db.session_factory())]
    redis_url = getattr(args, "redis_url", None) or settings.redis_url
    keys = _pool(settings, db, snapshot[0]) if args.alias_command == "validate" else KeyPool()

    async def reload() -> None:
        snapshot[0] = await asyncio.to_thread(persist.load_from_db, db.session_factory())

    async def main() -> T:
        changes = catalog_changes(db, redis_url)
        policy = AddressPolicy.from_settings(settings.allowed_upstream_networks)
        try:
            async with create_session(policy) as session:
                prober = ChainProber(
                    adapters=default_adapters(), session=session, keys=keys, health=HealthBook()
                )
                stored = await asyncio.to_thread(probe_store.read_all, db)
                admin = AliasAdmin(
                    db,
                    catalog=lambda: snapshot[0],
                    prober=prober,
                    changes=changes,
                    reload=reload,
                    probed=ProbeBook(stored.probes).supports_tools,
                )
                return await work(admin)
        finally:
            await changes.close()

    return asyncio.run(main())


def _chain(alias: AdminAlias) -> str:
    return " > ".join(str(c) for c in alias.chain)


def alias_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    aliases = _run(args, settings, db, lambda admin: admin.list_aliases())
    rows = [
        [a.id, a.kind, "tools" if a.tool_alias else "-", str(a.version or "-"), _chain(a)]
        for a in aliases
    ]
    table(["ALIAS", "KIND", "NEEDS", "VERSION", "CHAIN"], rows, "no aliases")
    return 0


def _print_alias(alias: AdminAlias) -> None:
    print(f"{alias.id} ({alias.kind}{', tool alias' if alias.tool_alias else ''})")
    for index, slot in enumerate(alias.chain):
        print(f"  {index}. {slot}")
    rows = [
        [
            str(h.id),
            str(h.version),
            when(h.created_at),
            h.actor,
            h.reason,
            " > ".join(map(str, h.chain)),
        ]
        for h in alias.history
    ]
    table(["HISTORY_ID", "VERSION", "AT", "ACTOR", "REASON", "CHAIN"], rows, "never changed")


def alias_show(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    _print_alias(_run(args, settings, db, lambda admin: admin.get(args.alias_id)))
    return 0


def alias_validate(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    change = ChainChange(args.alias_id, _slots(args.slots))
    validation = _run(args, settings, db, lambda admin: admin.validate(change))
    rows = [
        [str(v.slot), f"{v.provider}:{v.model}", v.verdict, f"{v.latency_ms:.0f}", v.message]
        for v in validation.slots
    ]
    table(["SLOT", "MODEL", "VERDICT", "MS", "MESSAGE"], rows, "no slots")
    note("all slots answered" if validation.all_ok else "some slots failed")
    return 0 if validation.all_ok else 1


def alias_set(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    change = ChainChange(args.alias_id, _slots(args.slots), args.reason)
    _print_alias(_run(args, settings, db, lambda admin: admin.replace(change, ACTOR)))
    note("changed; running gateways serve the new chain within seconds")
    return 0


def alias_rollback(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    rollback = Rollback(args.alias_id, args.history_id, args.reason)
    _print_alias(_run(args, settings, db, lambda admin: admin.rollback(rollback, ACTOR)))
    note("rolled back; running gateways serve the chain within seconds")
    return 0

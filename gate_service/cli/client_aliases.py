"""``client-alias list|create|update|delete --brand NAME``: a brand's client aliases.

The commands go through the same ``ClientAliasManager`` as the API, so they validate and
refuse exactly the same things (a pool key, another brand's key, 17 slots...). A running
gateway picks a change up on its next refresh (``refresh_interval_s``, 5 s by default).

A slot is ``--slot KEY_ID=MODEL`` (the key's own provider; split at the first ``=``, so
a model id may hold ``/`` and ``:``), repeated in try order; ``--slots-json`` takes the
API's JSON list instead, for a provider or ``"enabled": false``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import orjson

from gate_service.auth.identity import IdentityStore
from gate_service.catalog import persist
from gate_service.cli.support import SubParsers, brand_named, fail, handler, note, table
from gate_service.client_aliases.manager import ClientAliasManager
from gate_service.client_aliases.records import (
    DEFAULT_LIMIT,
    AliasPatch,
    AliasView,
    NewAlias,
    SlotInput,
)
from gate_service.client_aliases.store import ClientAliasStore
from gate_service.config import Settings
from gate_service.errors import invalid
from gate_service.storage.database import Database

T = TypeVar("T")
_NOTE = "running gateways serve the change within their refresh interval (5 s by default)"


def register(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    """Add the ``client-alias`` command group."""
    group = sub.add_parser("client-alias", help="manage a brand's client aliases")
    commands = group.add_subparsers(dest="client_alias_command", required=True)

    listing = commands.add_parser("list", parents=[common], help="list a brand's client aliases")
    listing.add_argument("--brand", required=True, help="brand name")
    listing.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="1-200 (50)")
    listing.set_defaults(handler=handler(alias_list))

    create = commands.add_parser("create", parents=[common], help="create a client alias")
    create.add_argument("name", help="the alias's name: a-z, 0-9, '-', '_' (at most 64)")
    create.add_argument("--brand", required=True, help="brand name")
    create.add_argument("--description", help="at most 500 characters")
    create.add_argument("--disabled", action="store_true", help="create it switched off")
    _slot_flags(create)
    create.set_defaults(handler=handler(alias_create))

    update = commands.add_parser("update", parents=[common], help="change a client alias")
    update.add_argument("name")
    update.add_argument("--brand", required=True, help="brand name")
    text = update.add_mutually_exclusive_group()
    text.add_argument("--description", help="at most 500 characters")
    text.add_argument("--no-description", action="store_true", help="remove the description")
    update.add_argument("--enabled", action=argparse.BooleanOptionalAction, help="switch on/off")
    _slot_flags(update, "replace the whole chain with ")
    update.set_defaults(handler=handler(alias_update))

    delete = commands.add_parser("delete", parents=[common], help="delete a client alias")
    delete.add_argument("name")
    delete.add_argument("--brand", required=True, help="brand name")
    delete.set_defaults(handler=handler(alias_delete))


def _slot_flags(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    slots = parser.add_mutually_exclusive_group()
    slots.add_argument(
        "--slot",
        action="append",
        metavar="KEY_ID=MODEL",
        help=f"{prefix}slots in try order (repeat the flag)",
    )
    slots.add_argument("--slots-json", metavar="JSON", help=f"{prefix}the API's JSON list")


def _slots(args: argparse.Namespace) -> tuple[SlotInput, ...] | None:
    """The slots the flags give, or None when none are given."""
    if args.slots_json is not None:
        try:
            given = orjson.loads(args.slots_json)
        except orjson.JSONDecodeError:
            raise invalid("--slots-json is not valid JSON", "slots") from None
        if not isinstance(given, list) or not all(isinstance(s, dict) for s in given):
            raise invalid("--slots-json must be a JSON list of objects", "slots")
        return tuple(
            SlotInput(
                key_id=str(s.get("key_id") or ""),
                provider=s.get("provider") or None,
                model=str(s.get("model") or ""),
                enabled=s.get("enabled") is not False,
            )
            for s in given
        )
    if args.slot is None:
        return None
    out = []
    for text in args.slot:
        key_id, sep, model = text.partition("=")
        if not sep:
            raise invalid(f"--slot {text!r}: expected KEY_ID=MODEL", "slots")
        out.append(SlotInput(key_id=key_id.strip(), provider=None, model=model.strip()))
    return tuple(out)


def _run(db: Database, work: Callable[[ClientAliasManager], Coroutine[Any, Any, T]]) -> T:
    """Run ``work`` with a manager over this database, as the API would."""
    persist.seed_if_empty(db.session_factory())
    catalog = persist.load_from_db(db.session_factory())
    manager = ClientAliasManager(ClientAliasStore(db), catalog=lambda: catalog)
    return asyncio.run(work(manager))


def _brand(args: argparse.Namespace, db: Database) -> str:
    return brand_named(IdentityStore(db), args.brand).client_id


def _print(view: AliasView) -> None:
    a = view.alias
    state = "enabled" if a.enabled else "disabled"
    print(f"{a.model} ({state}){' - ' + a.description if a.description else ''}")
    rows = [
        (
            f"  {i}",
            s.slot.key_id,
            s.key_label or "-",
            "yes" if s.key_active else "no",
            s.slot.provider,
            s.slot.model,
            s.cost_type,
            "yes" if s.slot.enabled else "no",
        )
        for i, s in enumerate(view.slots)
    ]
    header = ("  #", "KEY", "LABEL", "KEY_ACTIVE", "PROVIDER", "MODEL", "COST", "ENABLED")
    table(header, rows, "  no slots")


def alias_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``client-alias list --brand NAME``: each alias with its chain."""
    client_id = _brand(args, db)
    page = _run(db, lambda m: m.list_aliases(client_id, args.limit))
    for view in page.aliases:
        _print(view)
    if not page.aliases:
        note("no client aliases")
    if page.has_more:
        note(f"more than {args.limit}: raise --limit to see them")
    return 0


def alias_create(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``client-alias create NAME --brand NAME --slot KEY_ID=MODEL ...``."""
    client_id = _brand(args, db)
    slots = _slots(args)
    if slots is None:
        return fail("give the chain: --slot KEY_ID=MODEL (repeated) or --slots-json")
    new = NewAlias(args.name, slots, args.description, enabled=not args.disabled)
    view = _run(db, lambda m: m.create(client_id, new))
    _print(view)
    note(f"created; {_NOTE}")
    return 0


def alias_update(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``client-alias update NAME --brand NAME``: only the flags given change."""
    client_id = _brand(args, db)
    patch = AliasPatch(
        description=args.description,
        clear_description=args.no_description,
        enabled=args.enabled,
        slots=_slots(args),
    )
    view = _run(db, lambda m: m.update(client_id, args.name, patch))
    _print(view)
    note(f"updated; {_NOTE}")
    return 0


def alias_delete(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``client-alias delete NAME --brand NAME``."""
    client_id = _brand(args, db)
    alias = _run(db, lambda m: m.delete(client_id, args.name))
    print(f"deleted {alias.model}")
    note(_NOTE)
    return 0

"""Contributor invites from the command line: ``invite create|list|withdraw``.

``--brand NAME`` says whose invites; the commands go through the same ``InviteService``
as the API, so they validate and refuse exactly the same things. ``create`` queues the
mail in the database's outbox: when this command has mail settings of its own
(``SPIDERGATE_SMTP_*``, ``SPIDERGATE_PUBLIC_URL``) it sends it at once, else a running
gateway with mail settings sends it within seconds. The link's token is never printed:
only the invited address may hold it.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import TypeVar

from gate_service.auth.identity import IdentityStore
from gate_service.catalog import persist
from gate_service.cli.keys import _with_manager
from gate_service.cli.support import SubParsers, brand_named, handler, note, table, when
from gate_service.config import Settings
from gate_service.invites.mailer import MailSettings, Outbox
from gate_service.invites.records import STATUSES, InviteView, NewInvite
from gate_service.invites.service import InviteService
from gate_service.invites.store import InviteStore
from gate_service.providers.address_policy import AddressPolicy
from gate_service.storage.database import Database
from gate_service.storage.models import utcnow
from gate_service.vault.cipher import load_cipher
from gate_service.vault.manager import VaultManager

T = TypeVar("T")


def register(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    """Add the ``invite`` command group."""
    group = sub.add_parser("invite", help="invite contributors to add keys to a brand's vault")
    commands = group.add_subparsers(dest="invite_command", required=True)

    create = commands.add_parser(
        "create", parents=[common], help="invite an email address to contribute a key"
    )
    create.add_argument("email", help="who to invite")
    create.add_argument("provider", help="provider id of the key, e.g. groq")
    create.add_argument("--brand", required=True, help="the inviting brand's name")
    create.add_argument("--message", default="", help="a note for the mail and the page")
    create.add_argument("--base-url", default=None, help="the address the key will call")
    create.add_argument("--label", default="", help="the key's label in the vault")
    create.set_defaults(handler=handler(invite_create))

    listing = commands.add_parser("list", parents=[common], help="list a brand's invites")
    listing.add_argument("--brand", required=True, help="brand name")
    listing.add_argument("--status", choices=STATUSES, default=None, help="only these")
    listing.set_defaults(handler=handler(invite_list))

    withdraw = commands.add_parser(
        "withdraw", parents=[common], help="withdraw a pending invite (its link stops working)"
    )
    withdraw.add_argument("invite_id", help="the invite's id (inv_...)")
    withdraw.add_argument("--brand", required=True, help="brand name")
    withdraw.set_defaults(handler=handler(invite_withdraw))


def _with_invites(
    settings: Settings, db: Database, work: Callable[[InviteService], Awaitable[T]]
) -> T:
    """Run ``work`` with an invite service over this database, as the API would."""
    cipher = load_cipher(settings)
    persist.seed_if_empty(db.session_factory())
    catalog = persist.load_from_db(db.session_factory())

    async def run(manager: VaultManager) -> T:
        store = InviteStore(db)
        service = InviteService(
            store,
            manager,
            cipher,
            catalog=lambda: catalog,
            policy=AddressPolicy.from_settings(settings.allowed_upstream_networks),
            ttl_s=settings.invite_ttl_s,
            outbox=None,
        )
        mail = MailSettings.from_settings(settings)
        if mail is not None:
            service.outbox = Outbox(
                store,
                cipher,
                mail,
                clock=utcnow,
                provider_name=service.provider_name,
                retry_s=settings.invite_mail_retry_s,
                attempts=settings.invite_mail_attempts,
            )
        return await work(service)

    return _with_manager(settings, db, run)


def _row(view: InviteView) -> tuple[str, ...]:
    return (
        view.id,
        view.email,
        view.provider,
        view.status,
        view.mail_status + (f" ({view.mail_error})" if view.mail_error else ""),
        view.key_preview or "-",
        when(view.expires_at.astimezone(UTC)),
    )


_HEADER = ("ID", "EMAIL", "PROVIDER", "STATUS", "MAIL", "KEY", "EXPIRES (UTC)")


def invite_create(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """Invite an address; send the mail now when this command can, else leave it queued."""
    brand = brand_named(IdentityStore(db), args.brand)
    new = NewInvite(args.email, args.provider, args.message, args.base_url, args.label)

    async def work(service: InviteService) -> tuple[InviteView, bool]:
        view = await service.create(brand.client_id, new, require_mail=False)
        if service.outbox is None:
            return view, False
        await service.outbox.flush()
        return await service.get(brand.client_id, view.id), True

    view, mailed = _with_invites(settings, db, work)
    table(_HEADER, [_row(view)], "")
    if not mailed:
        note(
            "the mail is queued: a running gateway with mail settings sends it within "
            "seconds (docs/invites.md)"
        )
    return 0


def invite_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    brand = brand_named(IdentityStore(db), args.brand)
    views = _with_invites(
        settings, db, lambda service: service.list_invites(brand.client_id, args.status)
    )
    table(_HEADER, [_row(v) for v in views], "no invites")
    return 0


def invite_withdraw(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    brand = brand_named(IdentityStore(db), args.brand)
    view = _with_invites(
        settings, db, lambda service: service.withdraw(brand.client_id, args.invite_id)
    )
    print(f"withdrew {view.id} ({view.email}, {view.provider})")
    return 0

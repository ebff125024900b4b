"""Contributor invites on behalf of a brand, and the public link's three steps.

The brand side (create, list, withdraw) is its admin's: the servicer has already checked
that the caller is the brand's client credential. The link side (open, accept, revoke)
needs no sign-in: the link's token is the authority, so it is random (256 bits), only its
SHA-256 is stored, and it works once (:meth:`InviteStore.claim`).

A contributed key goes through the vault's own path (:class:`VaultManager`, as the
brand's caller): the same checks, the same connection test against the provider, the
same encryption, and it serves at once. The link is used up only if that succeeds: a key
the provider refuses leaves the invite pending, for another try.

Time comes from ``clock`` (UTC), so tests move it instead of waiting 72 hours.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from gate_service.catalog.snapshot import Catalog
from gate_service.errors import GateError, invalid
from gate_service.invites import records as r
from gate_service.invites.mailer import MailSettings, Outbox
from gate_service.invites.store import InviteStore, unknown_link
from gate_service.providers.address_policy import AddressPolicy
from gate_service.storage.models import utcnow
from gate_service.vault import validation as check
from gate_service.vault.cipher import VaultCipher
from gate_service.vault.manager import Caller, VaultManager
from gate_service.vault.records import NewKey

if TYPE_CHECKING:
    from gate_service.core import Core

_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,128}")
OFF = (
    "Invites are off on this gateway: it needs a mail server and its public address "
    "(SPIDERGATE_SMTP_HOST, SPIDERGATE_SMTP_FROM, SPIDERGATE_PUBLIC_URL; docs/invites.md)."
)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a link's token; a malformed token is an unknown link."""
    if not _TOKEN.fullmatch(token):
        raise unknown_link()
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class InviteService:
    """Invites: the brand's operations and the public link's."""

    def __init__(
        self,
        store: InviteStore,
        vault: VaultManager,
        cipher: VaultCipher,
        *,
        catalog: Callable[[], Catalog],
        policy: AddressPolicy,
        ttl_s: float,
        outbox: Outbox | None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self._vault = vault
        self._cipher = cipher
        self._catalog = catalog
        self._policy = policy
        self._ttl_s = ttl_s
        self.outbox = outbox
        self.clock = clock

    @classmethod
    def for_core(cls, core: Core, cipher: VaultCipher) -> InviteService:
        settings = core.settings
        store = InviteStore(core.db)
        service = cls(
            store,
            VaultManager.for_core(core),
            cipher,
            catalog=lambda: core.catalog,
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
                clock=lambda: service.clock(),
                provider_name=service.provider_name,
                retry_s=settings.invite_mail_retry_s,
                attempts=settings.invite_mail_attempts,
            )
        return service

    def provider_name(self, provider: str) -> str:
        info = self._catalog().provider(provider)
        return info.name if info is not None else provider

    # ------------------------------------------------------------------ the brand's side

    async def _clean(self, new: r.NewInvite) -> r.NewInvite:
        """What the invite will store, checked now as the vault will check the key then."""
        email = r.clean_email(new.email)
        provider = check.clean_provider(new.provider)
        base_url = check.clean_base_url(new.base_url)
        check.check_against_catalog(self._catalog().provider(provider), provider, base_url)
        await check.check_brand_address(self._policy, base_url)
        label = check.clean_label(new.label or f"invited: {email}"[:200])
        return r.NewInvite(email, provider, r.clean_message(new.message), base_url, label)

    async def create(
        self, client_id: str, new: r.NewInvite, *, require_mail: bool = True
    ) -> r.InviteView:
        """Store the invite with its mail queued and wake the sender; answers at once.

        Without mail settings the API refuses (503: the link could never arrive); the CLI
        (``require_mail=False``) queues it for a gateway that has them."""
        cleaned = await self._clean(new)
        if self.outbox is None and require_mail:
            raise GateError("service_unavailable", OFF)
        token = new_token()
        view = await asyncio.to_thread(
            self.store.create,
            client_id,
            cleaned,
            token_hash(token),
            self._cipher.encrypt(token),
            self.clock(),
            self._ttl_s,
        )
        if self.outbox is not None:
            self.outbox.wake()
        return view

    async def list_invites(self, client_id: str, status: str | None = None) -> list[r.InviteView]:
        status = r.clean_status(status)
        return await asyncio.to_thread(self.store.list_invites, client_id, status, self.clock())

    async def get(self, client_id: str, invite_id: str) -> r.InviteView:
        invite_id = r.clean_invite_id(invite_id)
        return await asyncio.to_thread(self.store.get, client_id, invite_id, self.clock())

    async def withdraw(self, client_id: str, invite_id: str) -> r.InviteView:
        invite_id = r.clean_invite_id(invite_id)
        return await asyncio.to_thread(self.store.withdraw, client_id, invite_id, self.clock())

    # ------------------------------------------------------------------ the link's side

    async def open(self, token: str) -> tuple[r.Opened, str]:
        """The live invite behind a link and its provider's name; the link stays unused."""
        opened = await asyncio.to_thread(self.store.open, token_hash(token), self.clock())
        return opened, self.provider_name(opened.provider)

    async def accept(self, token: str, secret: str) -> r.Accepted:
        """Test the key, store it in the brand's vault and use the link up."""
        digest = token_hash(token)
        secret = check.clean_secret(secret)
        if not secret:
            raise invalid("paste the API key", "secret")
        opened = await asyncio.to_thread(self.store.claim, digest, self.clock())
        new = NewKey(
            provider=opened.provider,
            secret=secret,
            base_url=opened.base_url,
            label=opened.label,
            test_connection=True,
        )
        try:
            view = await self._vault.create(Caller(opened.client_id), new)
        except BaseException:
            await asyncio.to_thread(self.store.unclaim, opened.invite_id)
            raise
        revoke = new_token()
        await asyncio.to_thread(
            self.store.accepted, opened.invite_id, view.id, view.preview, token_hash(revoke)
        )
        return r.Accepted(opened.brand_name, opened.provider, view.preview, revoke)

    async def revoke(self, token: str) -> r.Revoked:
        """The contributor takes the key back: deactivated and deleted (the vault's
        delete: the secret destroyed, usage history kept). The revoke link is then spent."""
        found = await asyncio.to_thread(self.store.contribution, token_hash(token))
        caller = Caller(found.client_id)
        try:
            await self._vault.set_active(caller, found.key_id, False)
            await self._vault.delete(caller, found.key_id)
        except GateError as error:
            if error.code != "not_found":  # the brand deleted it already: nothing to undo
                raise
        await asyncio.to_thread(self.store.revoked, found.invite_id, self.clock())
        return r.Revoked(found.brand_name, found.provider, found.key_preview)

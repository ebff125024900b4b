"""Provider keys in the database: encrypted, owned, soft-deleted.

Every secret is stored as ciphertext (``VaultCipher``) in ``provider_key.secret``.
Nothing outside this module reads that column, and the only ways out for a secret are
:meth:`KeyStore.active_keys` (the routing snapshot) and :meth:`KeyStore.secret_of` (a
connection test of a stored key). Everything else returns :class:`KeyView`.

Ownership is the ``client_id`` argument: a brand addresses its own keys, None addresses
the pool. Any other key (another brand's, a deleted one) answers ``not_found`` exactly
like an unknown id, so an id never tells whether it exists elsewhere.
"""

from __future__ import annotations

import logging
import secrets

from cryptography.fernet import InvalidToken
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from gate_service.errors import GateError
from gate_service.storage.database import Database
from gate_service.storage.models import Brand, Meta, ProviderKey, utcnow
from gate_service.storage.text import check_storable, storable
from gate_service.vault import validation as check
from gate_service.vault.cipher import VaultCipher, VaultKeyError
from gate_service.vault.records import KeyOptions, KeyPatch, KeyRecord, KeyView, mask

__all__ = ["KEY_ID_PREFIX", "KeyRecord", "KeyStore", "KeyView", "mask"]

KEY_ID_PREFIX = "key_"
# A known value encrypted under the vault key when the database first meets the vault: a
# process with other master keys is stopped even while no provider key is stored yet.
CHECK_META = "vault.check"
_CHECK_TEXT = "spidergate-vault-check"
log = logging.getLogger("spidergate.vault")


def _view(row: ProviderKey) -> KeyView:
    return KeyView(
        id=row.id,
        client_id=row.client_id,
        provider=row.provider,
        preview=row.preview,
        base_url=row.base_url,
        label=row.label,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
        options=KeyOptions(
            primary=row.primary,
            priority=row.priority,
            rpm_limit=row.rpm_limit,
            rpd_limit=row.rpd_limit,
            spend_limit_usd=row.spend_limit_usd,
            spend_period=row.spend_period,
            spend_action=row.spend_action,
            supports_embeddings=row.supports_embeddings,
            shared=row.shared,
        ),
    )


def _apply(row: ProviderKey, options: KeyOptions) -> None:
    row.primary = options.primary
    row.priority = options.priority
    row.rpm_limit = options.rpm_limit
    row.rpd_limit = options.rpd_limit
    row.spend_limit_usd = options.spend_limit_usd
    row.spend_period = options.spend_period
    row.spend_action = options.spend_action
    row.supports_embeddings = options.supports_embeddings
    row.shared = options.shared


_ORDER = (col(ProviderKey.provider), col(ProviderKey.created_at), col(ProviderKey.id))


class KeyStore:
    """The provider keys of the pool and of every brand, encrypted with ``cipher``."""

    def __init__(self, db: Database, cipher: VaultCipher) -> None:
        self._db = db
        self._cipher = cipher

    # ------------------------------------------------------------------ start-up

    def open(self) -> int:
        """Check the master keys fit this database, seal plaintext rows (left from
        before encryption) and make sure every row decrypts; returns the rows sealed.

        Raises :class:`VaultKeyError` when the keys are not the database's (its check
        value does not decrypt) or naming the key ids (never secrets) that no configured
        master key decrypts: starting anyway would silently drop those keys.
        """
        check_value = self._db.set_meta_if_absent(CHECK_META, self._cipher.encrypt(_CHECK_TEXT))
        if not self._cipher.can_decrypt(check_value):
            raise VaultKeyError(
                "the configured vault key(s) are not the ones this database was set up with:"
                " set SPIDERGATE_VAULT_KEYS to include that key, or use its vault.key file"
            )
        sealed, unreadable = 0, []
        with self._db.session() as session:
            for key_id, stored in session.exec(select(ProviderKey.id, ProviderKey.secret)).all():
                if not self._cipher.is_sealed(stored):
                    sealed += self._swap(session, key_id, stored, self._cipher.encrypt(stored))
                elif not self._cipher.can_decrypt(stored):
                    unreadable.append(key_id)
            session.commit()
        if unreadable:
            shown = ", ".join(sorted(unreadable)[:5]) + (", …" if len(unreadable) > 5 else "")
            raise VaultKeyError(
                f"{len(unreadable)} provider key(s) in the database ({shown}) cannot be"
                " decrypted with the configured vault key(s): set SPIDERGATE_VAULT_KEYS to"
                " include the key they were written with, or restore its vault.key file"
            )
        if sealed:
            log.info("vault: encrypted %d provider key(s) stored in plain text", sealed)
        return sealed

    def rotate(self) -> int:
        """Re-encrypt every row under the primary master key; returns the rows changed.

        After this, older master keys are no longer needed by stored rows (restart the
        gateways with the new key first in the list before removing old ones).
        """
        count = 0
        with self._db.session() as session:
            for key_id, stored in session.exec(select(ProviderKey.id, ProviderKey.secret)).all():
                try:
                    rotated = self._cipher.rotate(stored)
                except InvalidToken:
                    raise VaultKeyError(
                        f"provider key {key_id} cannot be decrypted with the configured vault"
                        " key(s); nothing was re-encrypted"
                    ) from None
                count += self._swap(session, key_id, stored, rotated)
            check = session.get(Meta, CHECK_META)
            if check is not None:
                check.value = self._cipher.rotate(check.value)
                session.add(check)
            session.commit()
        return count

    @staticmethod
    def _swap(session: Session, key_id: str, old: str, new: str) -> int:
        """Replace a stored secret unless someone changed it meanwhile (then keep theirs)."""
        result = session.exec(
            update(ProviderKey)
            .where(col(ProviderKey.id) == key_id, col(ProviderKey.secret) == old)
            .values(secret=new)
        )
        return int(result.rowcount or 0)

    # ------------------------------------------------------------------ writes

    def add_key(
        self,
        provider: str,
        secret: str,
        *,
        client_id: str | None = None,
        base_url: str | None = None,
        label: str = "",
        options: KeyOptions | None = None,
        active: bool = True,
    ) -> KeyView:
        """Store a key: a brand's own when ``client_id`` is given, else a pool key.

        The secret may be empty only with a ``base_url`` (a local server such as Ollama
        needs none).
        """
        provider = check.clean_provider(provider)
        secret = check.clean_secret(secret)
        label = check.clean_label(label)
        base_url = check.clean_base_url(base_url)
        check.require_secret_or_url(secret, base_url)
        options = check.check_options(options or KeyOptions())
        check.check_owner_may_share(client_id, options)
        row = ProviderKey(
            id=KEY_ID_PREFIX + secrets.token_hex(8),
            client_id=client_id,
            provider=provider,
            secret=self._cipher.encrypt(secret),
            preview=mask(secret),
            base_url=base_url,
            label=label,
            active=active,
        )
        _apply(row, options)
        with self._db.session() as session:
            if client_id is not None and session.get(Brand, client_id) is None:
                raise GateError("not_found", "brand not found")
            session.add(row)
            session.commit()
        return _view(row)

    def update_key(self, key_id: str, client_id: str | None, patch: KeyPatch) -> KeyView:
        """Change a key's fields; a new secret replaces the old one (and its preview)."""
        with self._db.session() as session:
            row = self._owned(session, key_id, client_id)
            options = check.patched_options(_view(row).options, patch)
            check.check_owner_may_share(row.client_id, options)
            base_url = row.base_url
            if patch.base_url is not None:
                base_url = check.clean_base_url(patch.base_url)
            if patch.secret is not None:
                secret = check.clean_secret(patch.secret)
                check.require_secret_or_url(secret, base_url)
                row.secret, row.preview = self._cipher.encrypt(secret), mask(secret)
            elif base_url is None and not row.preview:
                # An empty secret was only allowed because of the address being removed.
                check.require_secret_or_url("", base_url)
            row.base_url = base_url
            if patch.label is not None:
                row.label = check.clean_label(patch.label)
            if patch.active is not None:
                row.active = patch.active
            if patch.gives_fresh_chance:
                row.invalid_at = None
            _apply(row, options)
            row.updated_at = utcnow()
            session.add(row)
            session.commit()
        return _view(row)

    def set_active(self, key_id: str, client_id: str | None, active: bool) -> KeyView:
        """Switch a key off (reversible; usage history is kept) or back on."""
        with self._db.session() as session:
            row = self._owned(session, key_id, client_id)
            if row.active != active:
                row.active = active
                if active:
                    row.invalid_at = None  # switched back on: a fresh chance
                row.updated_at = utcnow()
                session.add(row)
                session.commit()
        return _view(row)

    def mark_invalid(self, key_id: str) -> bool:
        """Remember that the provider refused this key (401/403), so that routing still
        skips it after a restart; the first mark is kept. Whether a row was marked (an
        environment or demo key has none)."""
        with self._db.session() as session:
            result = session.exec(
                update(ProviderKey)
                .where(col(ProviderKey.id) == key_id, col(ProviderKey.invalid_at).is_(None))
                .values(invalid_at=utcnow())
            )
            session.commit()
        return bool(result.rowcount)

    def deactivate(self, key_id: str, client_id: str | None) -> KeyView:
        return self.set_active(key_id, client_id, False)

    def activate(self, key_id: str, client_id: str | None) -> KeyView:
        return self.set_active(key_id, client_id, True)

    def delete_key(self, key_id: str, client_id: str | None) -> KeyView:
        """Soft delete: the row stays for usage history, the secret is destroyed, and the
        key disappears from every list and lookup."""
        with self._db.session() as session:
            row = self._owned(session, key_id, client_id)
            now = utcnow()
            row.deleted_at, row.updated_at, row.active = now, now, False
            row.secret = self._cipher.encrypt("")
            session.add(row)
            session.commit()
        return _view(row)

    # ------------------------------------------------------------------ reads

    @staticmethod
    def _owned(session: Session, key_id: str, client_id: str | None) -> ProviderKey:
        row = session.get(ProviderKey, key_id) if storable(key_id) else None
        if row is None or row.deleted_at is not None or row.client_id != client_id:
            raise GateError("not_found", "key not found")
        return row

    def get_key(self, key_id: str, client_id: str | None, *, any_owner: bool = False) -> KeyView:
        """One key of this owner (or of anyone, for the operator's reads)."""
        with self._db.session() as session:
            row = session.get(ProviderKey, key_id) if storable(key_id) else None
            if row is None or row.deleted_at is not None:
                raise GateError("not_found", "key not found")
            if not any_owner and row.client_id != client_id:
                raise GateError("not_found", "key not found")
        return _view(row)

    def secret_of(self, key_id: str, client_id: str | None) -> str:
        """The decrypted secret of one owned key, to test its connection."""
        with self._db.session() as session:
            row = self._owned(session, key_id, client_id)
        return self._cipher.decrypt(row.secret)

    def list_keys(
        self,
        client_id: str | None = None,
        provider: str | None = None,
        include_pool: bool = True,
        *,
        active: bool | None = None,
        every_owner: bool = False,
    ) -> list[KeyView]:
        """Keys a brand may see: its own, plus the pool's unless ``include_pool`` is False.

        Without ``client_id``, the pool keys; ``every_owner`` (the operator) lists every
        brand's too. Never another brand's keys otherwise, shared or not. Deleted keys
        are never listed.
        """
        query = select(ProviderKey).where(col(ProviderKey.deleted_at).is_(None))
        if not every_owner:
            owners = []
            if client_id is not None:
                owners.append(col(ProviderKey.client_id) == client_id)
            if include_pool or client_id is None:
                owners.append(col(ProviderKey.client_id).is_(None))
            query = query.where(or_(*owners))
        if provider is not None:
            provider = check_storable(provider.strip().lower(), "provider")
            query = query.where(col(ProviderKey.provider) == provider)
        if active is not None:
            query = query.where(col(ProviderKey.active).is_(active))
        with self._db.session() as session:
            rows = session.exec(query.order_by(*_ORDER)).all()
        return [_view(row) for row in rows]

    def active_keys(self) -> list[KeyRecord]:
        """Every active key of every owner, secrets decrypted: for the routing snapshot.

        A row no configured master key decrypts (written by a process with other keys) is
        left out and logged by id; start-up (:meth:`open`) refuses such rows outright.
        """
        query = (
            select(ProviderKey)
            .where(col(ProviderKey.active).is_(True), col(ProviderKey.deleted_at).is_(None))
            .order_by(*_ORDER)
        )
        with self._db.session() as session:
            rows = session.exec(query).all()
        records = []
        for row in rows:
            try:
                secret = self._cipher.decrypt(row.secret)
            except InvalidToken:
                log.error("vault: provider key %s cannot be decrypted; skipped", row.id)
                continue
            records.append(
                KeyRecord(view=_view(row), secret=secret, invalid=row.invalid_at is not None)
            )
        return records

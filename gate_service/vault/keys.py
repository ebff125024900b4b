"""Provider keys: add, list (masked), deactivate, and the routing snapshot.

This is the plain first version: the secret sits in ``provider_key.secret`` as given.
Encryption at rest (Fernet, rotatable master key), per-key limits, health and pooling come
in the next (vault) issue; they will change what is stored, not this module's interface.
Nothing outside this module reads the secret column, and the only way out for a secret is
:meth:`KeyStore.active_keys`, which the routing snapshot calls.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import col, select

from gate_service import errors
from gate_service.errors import GateError
from gate_service.storage.database import Database
from gate_service.storage.models import Brand, ProviderKey, utcnow

KEY_ID_PREFIX = "key_"
_ELLIPSIS = "…"
# Below this length a secret shows only its last 2 characters; below _TINY, none.
_SHORT = 16
_TINY = 6


def mask(secret: str) -> str:
    """A preview safe to show, log or return: at most 7 characters of the secret.

    ``sk-or-v1-abcxyz`` -> ``sk-o…xyz``; a short secret shows its last 2 characters, a
    tiny one nothing, so a preview never gives away a meaningful share of a secret.
    """
    if not secret:
        return ""
    if len(secret) >= _SHORT:
        return f"{secret[:4]}{_ELLIPSIS}{secret[-3:]}"
    if len(secret) >= _TINY:
        return f"{_ELLIPSIS}{secret[-2:]}"
    return _ELLIPSIS


@dataclass(frozen=True, slots=True)
class KeyView:
    """A provider key as shown anywhere: the masked preview, never the secret."""

    id: str
    client_id: str | None  # None: a pool key (the operator's), serving every brand
    provider: str
    preview: str
    base_url: str | None
    label: str
    active: bool
    created_at: datetime

    @property
    def is_pool(self) -> bool:
        return self.client_id is None


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A provider key with its secret, for the routing snapshot only.

    The secret is left out of ``repr`` so it never reaches a log line or a traceback.
    """

    id: str
    client_id: str | None
    provider: str
    preview: str
    base_url: str | None
    label: str
    active: bool
    created_at: datetime
    secret: str = field(repr=False)


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
    )


def _record(row: ProviderKey) -> KeyRecord:
    return KeyRecord(
        id=row.id,
        client_id=row.client_id,
        provider=row.provider,
        preview=row.preview,
        base_url=row.base_url,
        label=row.label,
        active=row.active,
        created_at=row.created_at,
        secret=row.secret,
    )


def _clean(value: str, param: str, max_length: int, *, required: bool) -> str:
    value = value.strip()
    if required and not value:
        raise errors.invalid(f"{param} must not be empty", param)
    if len(value) > max_length:
        raise errors.invalid(f"{param} is longer than {max_length} characters", param)
    return value


class KeyStore:
    """The provider keys of the pool and of every brand."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add_key(
        self,
        provider: str,
        secret: str,
        *,
        client_id: str | None = None,
        base_url: str | None = None,
        label: str = "",
    ) -> KeyView:
        """Store a key: a brand's own when ``client_id`` is given, else a pool key.

        The secret may be empty only with a ``base_url`` (a local server such as Ollama
        needs none).
        """
        provider = _clean(provider, "provider", 64, required=True).lower()
        secret = _clean(secret, "secret", 4096, required=False)
        label = _clean(label, "label", 200, required=False)
        if base_url is not None:
            base_url = _clean(base_url, "base_url", 500, required=True).rstrip("/")
            if not base_url.startswith(("http://", "https://")):
                raise errors.invalid("base_url must start with http:// or https://", "base_url")
        if not secret and base_url is None:
            raise errors.invalid("secret is required unless a base_url is given", "secret")
        row = ProviderKey(
            id=KEY_ID_PREFIX + secrets.token_hex(8),
            client_id=client_id,
            provider=provider,
            secret=secret,
            preview=mask(secret),
            base_url=base_url,
            label=label,
        )
        with self._db.session() as session:
            if client_id is not None and session.get(Brand, client_id) is None:
                raise GateError("not_found", "brand not found")
            session.add(row)
            session.commit()
        return _view(row)

    def list_keys(
        self,
        client_id: str | None = None,
        provider: str | None = None,
        include_pool: bool = True,
    ) -> list[KeyView]:
        """Keys a brand may see: its own, plus the pool's unless ``include_pool`` is False.

        Without ``client_id``, the pool keys. Never another brand's keys.
        """
        owners = []
        if client_id is not None:
            owners.append(col(ProviderKey.client_id) == client_id)
        if include_pool or client_id is None:
            owners.append(col(ProviderKey.client_id).is_(None))
        query = select(ProviderKey).where(or_(*owners))
        if provider is not None:
            query = query.where(ProviderKey.provider == provider.strip().lower())
        query = query.order_by(
            col(ProviderKey.provider), col(ProviderKey.created_at), col(ProviderKey.id)
        )
        with self._db.session() as session:
            rows = session.exec(query).all()
        return [_view(row) for row in rows]

    def active_keys(self) -> list[KeyRecord]:
        """Every active key of every owner, secrets included: for the routing snapshot."""
        query = (
            select(ProviderKey)
            .where(col(ProviderKey.active).is_(True))
            .order_by(col(ProviderKey.provider), col(ProviderKey.created_at), col(ProviderKey.id))
        )
        with self._db.session() as session:
            rows = session.exec(query).all()
        return [_record(row) for row in rows]

    def deactivate(self, key_id: str, client_id: str | None) -> KeyView:
        """Stop using a key (reversible; usage history is kept).

        ``client_id`` is the owner: a brand may only deactivate its own keys, and None
        addresses a pool key. Any other key answers ``not_found`` like an unknown id.
        """
        with self._db.session() as session:
            row = session.get(ProviderKey, key_id)
            if row is None or row.client_id != client_id:
                raise GateError("not_found", "key not found")
            if row.active:
                row.active = False
                row.updated_at = utcnow()
                session.add(row)
                session.commit()
        return _view(row)

"""Console sessions in the database, shared by every replica (``console_session``).

Why this shape:

- The session id (256 random bits) lives only in the browser's cookie. The table keys a
  session by the id's SHA-256, so reading the table gives no cookie that works.
- The console must call the core with the signed-in credential (the API decides scopes and
  tenancy, not the console), so the credential is kept, but sealed with AES-GCM under a key
  derived from the session id: the row alone cannot give it back, nor can a copy of the
  database; the cookie and the row together can, which is what a session is.
- The CSRF token is derived from the session id too (HMAC), so it needs no column, is the
  same on every replica, and is worthless without the session.
- Idle and absolute expiry are checked on every read against an injected clock; the last
  use is written at most every ``idle_s / 20`` seconds, not on every page.

Every method is synchronous database work: call it off the event loop (``asyncio.to_thread``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, update

from gate_service.storage.database import Database
from gate_service.storage.models import ConsoleSession

SessionKind = Literal["client_credential", "agent_token", "operator"]
_NONCE_BYTES = 12
_SEAL_CONTEXT = b"spidergate console seal v1"
_CSRF_CONTEXT = b"spidergate console csrf v1"


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _seal_key(session_id: str) -> bytes:
    return hmac.new(session_id.encode(), _SEAL_CONTEXT, hashlib.sha256).digest()


def seal(session_id: str, secret: str) -> bytes:
    """The secret encrypted under the session id's key: nonce then ciphertext."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(_seal_key(session_id)).encrypt(nonce, secret.encode(), None)


def unseal(session_id: str, sealed: bytes) -> str:
    """The secret back; ``cryptography``'s InvalidTag when the id is not the one it was
    sealed with."""
    nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    return AESGCM(_seal_key(session_id)).decrypt(nonce, body, None).decode()


def csrf_token(session_id: str) -> str:
    """The session's CSRF token: the same for the session's life, on every replica."""
    return hmac.new(session_id.encode(), _CSRF_CONTEXT, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """Who a live session is, and the credential its pages call the core with."""

    session_id: str = field(repr=False)
    kind: SessionKind
    client_id: str
    label: str
    secret: str = field(repr=False)

    @property
    def can_write(self) -> bool:
        """Agent tokens read their own traces and usage; they change nothing."""
        return self.kind != "agent_token"

    @property
    def csrf(self) -> str:
        return csrf_token(self.session_id)


def _aware(value: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class SessionStore:
    """Creates, reads and ends console sessions; ``clock`` gives Unix seconds."""

    def __init__(
        self,
        db: Database,
        *,
        idle_s: float,
        max_age_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._idle_s = idle_s
        self._max_age_s = max_age_s
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def create(self, kind: SessionKind, client_id: str, label: str, secret: str) -> str:
        """A new session for a credential the core has just accepted; returns its id."""
        session_id = secrets.token_urlsafe(32)
        now = self._now()
        row = ConsoleSession(
            id_hash=_id_hash(session_id),
            kind=kind,
            client_id=client_id,
            label=label[:256],
            sealed=seal(session_id, secret),
            created_at=now,
            last_seen_at=now,
        )
        with self._db.session() as s:
            s.add(row)
            s.commit()
        return session_id

    def load(self, session_id: str) -> ConsoleUser | None:
        """The live session behind a cookie, or None (unknown, idle too long, too old:
        an expired one is deleted on the way)."""
        key = _id_hash(session_id)
        now = self._now()
        with self._db.session() as s:
            row = s.get(ConsoleSession, key)
            if row is None:
                return None
            idle = (now - _aware(row.last_seen_at)).total_seconds()
            age = (now - _aware(row.created_at)).total_seconds()
            if idle > self._idle_s or age > self._max_age_s:
                s.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == key))  # type: ignore[arg-type]
                s.commit()
                return None
            if idle > self._idle_s / 20:
                s.execute(
                    update(ConsoleSession)
                    .where(ConsoleSession.id_hash == key)  # type: ignore[arg-type]
                    .values(last_seen_at=now)
                )
                s.commit()
            return ConsoleUser(
                session_id=session_id,
                kind=row.kind,  # type: ignore[arg-type]
                client_id=row.client_id,
                label=row.label,
                secret=unseal(session_id, row.sealed),
            )

    def end(self, session_id: str) -> None:
        """Sign-out: the row goes, so the cookie opens nothing on any replica."""
        with self._db.session() as s:
            s.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == _id_hash(session_id)))  # type: ignore[arg-type]
            s.commit()

    def purge(self) -> int:
        """Delete sessions idle past the bound; returns how many."""
        cutoff = datetime.fromtimestamp(self._clock() - self._idle_s, UTC)
        with self._db.session() as s:
            result = s.execute(delete(ConsoleSession).where(ConsoleSession.last_seen_at < cutoff))  # type: ignore[arg-type]
            s.commit()
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

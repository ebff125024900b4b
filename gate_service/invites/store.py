"""Invites in the database (the ``invite`` table, migration 0016).

Every state change is one conditional ``UPDATE`` (``WHERE status = 'pending'`` and the
like), so two replicas, or a double click, cannot both use a link, both withdraw an
invite or both send its mail: the loser's update matches no row. A brand addresses only
its own invites; another brand's id answers ``not_found`` exactly like an unknown one.
Tokens arrive here already hashed (:mod:`gate_service.invites.tokens`).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from gate_service.errors import GateError, invalid
from gate_service.invites import records as r
from gate_service.storage.database import Database
from gate_service.storage.models import Brand, Invite
from gate_service.storage.text import storable

_GONE = {
    r.USED: "This invite link has been used already.",
    r.EXPIRED: "This invite link has expired.",
    r.REVOKED: "This invite has been withdrawn.",
}


def _view(row: Invite, now: datetime) -> r.InviteView:
    return r.InviteView(
        id=row.id,
        client_id=row.client_id,
        email=row.email,
        provider=row.provider,
        message=row.message,
        base_url=row.base_url,
        label=row.label,
        status=r.status_of(row.status, row.expires_at, now),
        revoked_by=row.revoked_by,
        mail_status=row.mail_status,
        mail_attempts=row.mail_attempts,
        mail_error=row.mail_error,
        created_at=r.aware(row.created_at),
        expires_at=r.aware(row.expires_at),
        used_at=row.used_at and r.aware(row.used_at),
        revoked_at=row.revoked_at and r.aware(row.revoked_at),
        mail_sent_at=row.mail_sent_at and r.aware(row.mail_sent_at),
        key_id=row.key_id,
        key_preview=row.key_preview,
    )


def gone(status: str) -> GateError:
    return GateError("invite_gone", _GONE.get(status, "This invite link no longer works."))


def unknown_link() -> GateError:
    return GateError("not_found", "This invite link is not valid.")


class InviteStore:
    """The invites of every brand."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _update(self, where: list[Any], **values: Any) -> int:
        with self._db.session() as session:
            result = session.exec(update(Invite).where(*where).values(**values))
            session.commit()
            return int(result.rowcount or 0)

    # ------------------------------------------------------------------ the brand's side

    def create(
        self,
        client_id: str,
        new: r.NewInvite,
        token_hash: str,
        sealed: str,
        now: datetime,
        ttl_s: float,
    ) -> r.InviteView:
        row = Invite(
            id=r.INVITE_ID_PREFIX + secrets.token_hex(8),
            client_id=client_id,
            email=new.email,
            provider=new.provider,
            message=new.message,
            base_url=new.base_url,
            label=new.label,
            token_hash=token_hash,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_s),
            mail_next_at=now,
            outbox=sealed,
        )
        with self._db.session() as session:
            if session.get(Brand, client_id) is None:
                raise GateError("not_found", "brand not found")
            session.add(row)
            session.commit()
            return _view(row, now)

    def list_invites(self, client_id: str, status: str | None, now: datetime) -> list[r.InviteView]:
        query = select(Invite).where(col(Invite.client_id) == client_id)
        query = query.order_by(col(Invite.created_at).desc(), col(Invite.id))
        with self._db.session() as session:
            views = [_view(row, now) for row in session.exec(query).all()]
        return [v for v in views if status is None or v.status == status]

    def get(self, client_id: str, invite_id: str, now: datetime) -> r.InviteView:
        with self._db.session() as session:
            row = self._owned(session, client_id, invite_id)
            return _view(row, now)

    @staticmethod
    def _owned(session: Session, client_id: str, invite_id: str) -> Invite:
        row = session.get(Invite, invite_id) if storable(invite_id) else None
        if row is None or row.client_id != client_id:
            raise GateError("not_found", "invite not found")
        return row

    def withdraw(self, client_id: str, invite_id: str, now: datetime) -> r.InviteView:
        """End a pending invite: its link stops working and a mail not yet sent is not."""
        changed = self._update(
            [
                col(Invite.id) == invite_id,
                col(Invite.client_id) == client_id,
                col(Invite.status) == r.PENDING,
                col(Invite.expires_at) > now,
            ],
            status=r.REVOKED,
            revoked_by=r.BY_BRAND,
            revoked_at=now,
        )
        view = self.get(client_id, invite_id, now)
        if not changed:
            raise invalid(
                f"only a pending invite can be withdrawn; this one is {view.status}", "invite_id"
            )
        self._cancel_mail(invite_id)
        return self.get(client_id, invite_id, now)

    def _cancel_mail(self, invite_id: str) -> None:
        self._update(
            [col(Invite.id) == invite_id, col(Invite.mail_status) == r.QUEUED],
            mail_status=r.CANCELLED,
            outbox=None,
        )

    # ------------------------------------------------------------------ the link's side

    def open(self, token_hash: str, now: datetime) -> r.Opened:
        """The live invite behind a link: 404 unknown, 410 used, withdrawn or expired."""
        query = select(Invite, Brand.name).join(Brand, col(Brand.client_id) == Invite.client_id)
        with self._db.session() as session:
            found = session.exec(query.where(col(Invite.token_hash) == token_hash)).first()
        if found is None:
            raise unknown_link()
        row, brand_name = found
        status = r.status_of(row.status, row.expires_at, now)
        if status != r.PENDING:
            raise gone(status)
        return r.Opened(
            invite_id=row.id,
            client_id=row.client_id,
            brand_name=brand_name,
            email=row.email,
            provider=row.provider,
            message=row.message,
            expires_at=r.aware(row.expires_at),
            base_url=row.base_url,
            label=row.label,
        )

    def claim(self, token_hash: str, now: datetime) -> r.Opened:
        """Use the link up, once: only one caller's update matches the pending row."""
        opened = self.open(token_hash, now)
        changed = self._update(
            [
                col(Invite.token_hash) == token_hash,
                col(Invite.status) == r.PENDING,
                col(Invite.expires_at) > now,
            ],
            status=r.USED,
            used_at=now,
        )
        if not changed:
            raise gone(r.USED)
        return opened

    def unclaim(self, invite_id: str) -> None:
        """Give the link back after the key was refused: the contributor may try again."""
        self._update(
            [
                col(Invite.id) == invite_id,
                col(Invite.status) == r.USED,
                col(Invite.key_id).is_(None),
            ],
            status=r.PENDING,
            used_at=None,
        )

    def accepted(self, invite_id: str, key_id: str, preview: str, revoke_hash: str) -> None:
        self._update(
            [col(Invite.id) == invite_id],
            key_id=key_id,
            key_preview=preview,
            revoke_hash=revoke_hash,
        )
        self._cancel_mail(invite_id)

    def contribution(self, revoke_hash: str) -> r.Contribution:
        """The stored key behind a revoke link."""
        query = select(Invite, Brand.name).join(Brand, col(Brand.client_id) == Invite.client_id)
        with self._db.session() as session:
            found = session.exec(query.where(col(Invite.revoke_hash) == revoke_hash)).first()
        if found is None:
            raise GateError("not_found", "This revoke link is not valid.")
        row, brand_name = found
        if row.status != r.USED or row.key_id is None:
            raise GateError("invite_gone", "This key has been revoked already.")
        return r.Contribution(
            row.id, row.client_id, brand_name, row.provider, row.key_id, row.key_preview
        )

    def revoked(self, invite_id: str, now: datetime) -> None:
        self._update(
            [col(Invite.id) == invite_id, col(Invite.status) == r.USED],
            status=r.REVOKED,
            revoked_by=r.BY_CONTRIBUTOR,
            revoked_at=now,
            revoke_hash=None,
        )

    # ------------------------------------------------------------------ the outbox

    def due(self, now: datetime, lease_s: float, limit: int = 20) -> list[tuple[Invite, str]]:
        """Mails due now, each leased to this caller (``mail_next_at`` moved past the
        lease) so another replica's sender leaves it alone meanwhile; with the brand's
        name. Invites that ended before their mail went are cancelled here."""
        query = (
            select(Invite, Brand.name)
            .join(Brand, col(Brand.client_id) == Invite.client_id)
            .where(col(Invite.mail_status) == r.QUEUED, col(Invite.mail_next_at) <= now)
            .order_by(col(Invite.mail_next_at))
            .limit(limit)
        )
        with self._db.session() as session:
            candidates = session.exec(query).all()
        leased = []
        for row, brand_name in candidates:
            if r.status_of(row.status, row.expires_at, now) != r.PENDING or not row.outbox:
                self._cancel_mail(row.id)
                continue
            if self._update(
                [
                    col(Invite.id) == row.id,
                    col(Invite.mail_status) == r.QUEUED,
                    col(Invite.mail_next_at) == row.mail_next_at,
                ],
                mail_next_at=now + timedelta(seconds=lease_s),
            ):
                leased.append((row, brand_name))
        return leased

    def next_due(self) -> datetime | None:
        query = select(Invite.mail_next_at).where(col(Invite.mail_status) == r.QUEUED)
        with self._db.session() as session:
            first = session.exec(query.order_by(col(Invite.mail_next_at)).limit(1)).first()
        return None if first is None else r.aware(first)

    def mail_sent(self, invite_id: str, attempts: int, now: datetime) -> None:
        self._update(
            [col(Invite.id) == invite_id],
            mail_status=r.SENT,
            mail_attempts=attempts,
            mail_error="",
            mail_sent_at=now,
            mail_next_at=None,
            outbox=None,
        )

    def mail_failed(
        self, invite_id: str, attempts: int, error: str, retry_at: datetime | None
    ) -> None:
        """A failed attempt: retried at ``retry_at``, or given up (None)."""
        final = {"mail_status": r.FAILED, "outbox": None} if retry_at is None else {}
        self._update(
            [col(Invite.id) == invite_id],
            mail_attempts=attempts,
            mail_error=error[:500],
            mail_next_at=retry_at,
            **final,
        )

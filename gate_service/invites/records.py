"""The invites' plain types and the checks of what a brand may ask for.

``InviteView`` is the only shape an invite leaves the store in: no token, no secret, the
stored key only as its vault id and masked preview. The status a caller sees is decided
here (:func:`status_of`): the database keeps ``pending``, ``used`` and ``revoked``, and a
pending invite past its time is ``expired`` without anything having to run at that time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gate_service.errors import GateError, invalid
from gate_service.storage.text import storable

PENDING, USED, EXPIRED, REVOKED = "pending", "used", "expired", "revoked"
STATUSES = (PENDING, USED, EXPIRED, REVOKED)
QUEUED, SENT, FAILED, CANCELLED = "queued", "sent", "failed", "cancelled"
MAIL_STATUSES = (QUEUED, SENT, FAILED, CANCELLED)
BY_BRAND, BY_CONTRIBUTOR = "brand", "contributor"

INVITE_ID_PREFIX = "inv_"
MAX_EMAIL = 254  # RFC 5321's bound on a forward path
MAX_MESSAGE = 2000
# One address, no display name: local@domain, the domain with at least one dot. Not a
# full RFC 5322 parser: enough to refuse what cannot be a mailbox (and header injection).
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
# A message may have line breaks; no other control character.
_MESSAGE_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def aware(value: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def clean_email(value: str) -> str:
    email = value.strip()
    if not email:
        raise invalid("email is required", "email")
    if len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email):
        raise invalid("email must be one address such as name@example.com", "email")
    return email


def clean_message(value: str) -> str:
    message = value.strip().replace("\r\n", "\n")
    if len(message) > MAX_MESSAGE:
        raise invalid(f"message is longer than {MAX_MESSAGE} characters", "message")
    if _MESSAGE_CONTROLS.search(message):
        raise invalid("message must not contain control characters", "message")
    return message


def clean_status(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value not in STATUSES:
        raise invalid(f"status must be one of {', '.join(STATUSES)}", "status")
    return value


def clean_invite_id(value: str) -> str:
    """An id to look up: one no row can have is an unknown one (404), as for keys."""
    if not value:
        raise invalid("'invite_id' is required", "invite_id")
    if not storable(value):
        raise GateError("not_found", "invite not found")
    return value


@dataclass(frozen=True, slots=True)
class NewInvite:
    """What a brand asks for: who, for which provider, and what the key will look like."""

    email: str
    provider: str
    message: str = ""
    base_url: str | None = None
    label: str = ""


@dataclass(frozen=True, slots=True)
class InviteView:
    """An invite as its brand sees it."""

    id: str
    client_id: str
    email: str
    provider: str
    message: str
    base_url: str | None
    label: str
    status: str
    revoked_by: str | None
    mail_status: str
    mail_attempts: int
    mail_error: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None
    mail_sent_at: datetime | None = None
    key_id: str | None = None
    key_preview: str = ""


def status_of(stored: str, expires_at: datetime, now: datetime) -> str:
    """What a caller sees: a pending invite past its time has expired."""
    if stored == PENDING and aware(expires_at) <= now:
        return EXPIRED
    return stored


@dataclass(frozen=True, slots=True)
class Opened:
    """What the public page shows about a live invite."""

    invite_id: str
    client_id: str
    brand_name: str
    email: str
    provider: str
    message: str
    expires_at: datetime
    base_url: str | None = None
    label: str = ""


@dataclass(frozen=True, slots=True)
class Accepted:
    """A stored contribution: the preview, and the revoke token shown once."""

    brand_name: str
    provider: str
    key_preview: str
    revoke_token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Contribution:
    """A stored contribution, as its revoke link finds it."""

    invite_id: str
    client_id: str
    brand_name: str
    provider: str
    key_id: str
    key_preview: str


@dataclass(frozen=True, slots=True)
class Revoked:
    """A contribution taken back."""

    brand_name: str
    provider: str
    key_preview: str


@dataclass(frozen=True, slots=True)
class Mail:
    """One mail due: the invite, its link's token (from the outbox) and the brand."""

    invite_id: str
    attempts: int
    email: str
    provider: str
    message: str
    brand_name: str
    expires_at: datetime
    token: str = field(repr=False)

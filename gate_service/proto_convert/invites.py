"""Invites: domain ⇄ proto for the servicer, JSON ⇄ proto for the bridge and the CLI.

JSON uses the proto's snake_case names; statuses are their lower-case words
(``"pending"``, ``"sent"``); times are Unix seconds, ``null`` when not happened. A field
we do not know, or of the wrong type, is a 400 naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gate_service.errors import invalid
from gate_service.invites.records import InviteView, NewInvite
from gate_service.proto_convert.jsonvalues import as_str
from spidergate.v1 import invites_pb2 as pb

STATUSES = {
    "pending": pb.INVITE_STATUS_PENDING,
    "used": pb.INVITE_STATUS_USED,
    "expired": pb.INVITE_STATUS_EXPIRED,
    "revoked": pb.INVITE_STATUS_REVOKED,
}
MAIL_STATUSES = {
    "queued": pb.MAIL_STATUS_QUEUED,
    "sent": pb.MAIL_STATUS_SENT,
    "failed": pb.MAIL_STATUS_FAILED,
    "cancelled": pb.MAIL_STATUS_CANCELLED,
}
STATUS_NAMES = {v: k for k, v in STATUSES.items()}
MAIL_STATUS_NAMES = {v: k for k, v in MAIL_STATUSES.items()}
_CREATE_FIELDS = ("email", "provider", "message", "base_url", "label")


def _ts(moment: datetime | None) -> int:
    return 0 if moment is None else int(moment.timestamp())


# ------------------------------------------------------------------ domain <-> proto


def invite_to_proto(view: InviteView) -> pb.Invite:
    return pb.Invite(
        id=view.id,
        email=view.email,
        provider=view.provider,
        message=view.message,
        base_url=view.base_url or "",
        label=view.label,
        status=STATUSES[view.status],
        revoked_by=view.revoked_by or "",
        mail_status=MAIL_STATUSES[view.mail_status],
        mail_attempts=view.mail_attempts,
        mail_error=view.mail_error,
        created_at=_ts(view.created_at),
        expires_at=_ts(view.expires_at),
        used_at=_ts(view.used_at),
        revoked_at=_ts(view.revoked_at),
        mail_sent_at=_ts(view.mail_sent_at),
        key_id=view.key_id or "",
        key_preview=view.key_preview,
    )


def new_invite_from_proto(message: pb.CreateInviteRequest) -> NewInvite:
    return NewInvite(
        email=message.email,
        provider=message.provider,
        message=message.message,
        base_url=message.base_url or None,
        label=message.label,
    )


def status_from_proto(status: int) -> str | None:
    return STATUS_NAMES.get(status)  # type: ignore[call-overload]


# ------------------------------------------------------------------ JSON -> proto


def create_request_from_json(body: Mapping[str, Any]) -> pb.CreateInviteRequest:
    message = pb.CreateInviteRequest()
    for name, value in body.items():
        if name not in _CREATE_FIELDS:
            raise invalid(f"unknown field '{name}'", name)
        if value is not None:
            setattr(message, name, as_str(value, name))
    for name in ("email", "provider"):
        if not getattr(message, name):
            raise invalid(f"'{name}' is required", name)
    return message


def list_request_from_query(params: Mapping[str, str]) -> pb.ListInvitesRequest:
    for name in params:
        if name != "status":
            raise invalid(f"unknown query parameter '{name}'", name)
    status = params.get("status", "")
    if status and status not in STATUSES:
        raise invalid(f"status must be one of {', '.join(STATUSES)}", "status")
    return pb.ListInvitesRequest(status=STATUSES.get(status, pb.INVITE_STATUS_UNSPECIFIED))


# ------------------------------------------------------------------ proto -> JSON


def _when(seconds: int) -> int | None:
    return seconds or None


def invite_to_json(invite: pb.Invite) -> dict[str, Any]:
    """An invite as the API shows it: the stored key only as its id and masked preview."""
    return {
        "id": invite.id,
        "object": "invite",
        "email": invite.email,
        "provider": invite.provider,
        "message": invite.message,
        "base_url": invite.base_url or None,
        "label": invite.label,
        "status": STATUS_NAMES.get(invite.status, "pending"),
        "revoked_by": invite.revoked_by or None,
        "mail_status": MAIL_STATUS_NAMES.get(invite.mail_status, "queued"),
        "mail_attempts": invite.mail_attempts,
        "mail_error": invite.mail_error or None,
        "created_at": invite.created_at,
        "expires_at": invite.expires_at,
        "used_at": _when(invite.used_at),
        "revoked_at": _when(invite.revoked_at),
        "mail_sent_at": _when(invite.mail_sent_at),
        "key_id": invite.key_id or None,
        "key_preview": invite.key_preview or None,
    }

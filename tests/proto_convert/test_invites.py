"""Invites: domain -> proto -> JSON, and JSON -> proto -> domain, field for field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gate_service.errors import GateError
from gate_service.invites.records import InviteView, NewInvite
from gate_service.proto_convert.invites import (
    create_request_from_json,
    invite_to_json,
    invite_to_proto,
    list_request_from_query,
    new_invite_from_proto,
    status_from_proto,
)

T0 = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_an_invite_reaches_json_whole() -> None:
    view = InviteView(
        id="inv_1",
        client_id="cli_1",
        email="ana@example.com",
        provider="groq",
        message="hi",
        base_url=None,
        label="invited: ana@example.com",
        status="used",
        revoked_by=None,
        mail_status="sent",
        mail_attempts=2,
        mail_error="",
        created_at=T0,
        expires_at=T0.replace(day=4),
        used_at=T0.replace(hour=8),
        mail_sent_at=T0,
        key_id="key_1",
        key_preview="sk-a…xyz",
    )
    assert invite_to_json(invite_to_proto(view)) == {
        "id": "inv_1",
        "object": "invite",
        "email": "ana@example.com",
        "provider": "groq",
        "message": "hi",
        "base_url": None,
        "label": "invited: ana@example.com",
        "status": "used",
        "revoked_by": None,
        "mail_status": "sent",
        "mail_attempts": 2,
        "mail_error": None,
        "created_at": int(T0.timestamp()),
        "expires_at": int(T0.replace(day=4).timestamp()),
        "used_at": int(T0.replace(hour=8).timestamp()),
        "revoked_at": None,
        "mail_sent_at": int(T0.timestamp()),
        "key_id": "key_1",
        "key_preview": "sk-a…xyz",
    }
    assert "client_id" not in invite_to_json(invite_to_proto(view))


def test_a_create_body_reaches_the_domain() -> None:
    body = {
        "email": "ana@example.com",
        "provider": "groq",
        "message": "hi",
        "base_url": "https://llm.example/v1",
        "label": "ana",
    }
    assert new_invite_from_proto(create_request_from_json(body)) == NewInvite(**body)
    nulls = {"email": "a@example.com", "provider": "groq", "message": None, "base_url": None}
    assert new_invite_from_proto(create_request_from_json(nulls)) == NewInvite(
        "a@example.com", "groq"
    )


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"provider": "groq"}, "email"),
        ({"email": "a@example.com"}, "provider"),
        ({"email": "a@example.com", "provider": "groq", "extra": 1}, "extra"),
        ({"email": ["a@example.com"], "provider": "groq"}, "email"),
    ],
)
def test_a_bad_create_body_names_the_field(body: dict[str, object], param: str) -> None:
    with pytest.raises(GateError) as caught:
        create_request_from_json(body)
    assert caught.value.param == param


def test_the_listing_filter() -> None:
    assert status_from_proto(list_request_from_query({}).status) is None
    assert status_from_proto(list_request_from_query({"status": "expired"}).status) == "expired"
    for query in ({"status": "lost"}, {"state": "used"}):
        with pytest.raises(GateError):
            list_request_from_query(query)

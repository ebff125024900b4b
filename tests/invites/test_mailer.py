"""The invite mail's pure parts: what it says, when invites are off, and how a failure is
told (passing or final, the link's token never in the words)."""

from __future__ import annotations

import smtplib
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gate_service.config import Settings
from gate_service.invites.mailer import MailSettings, _failure, compose
from gate_service.invites.records import Mail

TOKEN = "tok_" + "x" * 40
MAIL_ON = Settings(smtp_host="mail.example", smtp_from="gate@example.com", public_url="https://g/")


def test_invites_are_off_until_host_sender_and_public_url_are_set() -> None:
    assert MailSettings.from_settings(Settings()) is None
    assert MailSettings.from_settings(replace(MAIL_ON, public_url="")) is None
    mail = MailSettings.from_settings(MAIL_ON)
    assert mail is not None and mail.link(TOKEN) == f"https://g/console/invite/{TOKEN}"
    with pytest.raises(ValueError, match="starttls, ssl, none"):
        MailSettings.from_settings(replace(MAIL_ON, smtp_security="tls1"))
    assert "hunter2" not in repr(replace(MAIL_ON, smtp_password="hunter2"))


def test_the_mail_says_who_asks_for_what_until_when() -> None:
    settings = MailSettings.from_settings(MAIL_ON)
    assert settings is not None
    mail = Mail(
        invite_id="inv_1",
        attempts=0,
        email="ana@example.com",
        provider="groq",
        message="Line one\nLine two",
        brand_name="Acme",
        expires_at=datetime(2026, 12, 4, 7, 0, tzinfo=UTC),
        token=TOKEN,
    )
    message = compose(mail, settings, "Groq")
    assert message["Subject"] == "Acme invites you to add a Groq API key"
    assert (message["From"], message["To"]) == ("gate@example.com", "ana@example.com")
    body = message.get_content()
    assert "  Line one\n  Line two" in body and f"https://g/console/invite/{TOKEN}" in body
    assert "Fri, 04 Dec 2026 07:00:00 +0000" in body


def test_failures_are_told_without_the_token() -> None:
    refused = smtplib.SMTPRecipientsRefused({"a@x": (550, b"no such user")})
    assert _failure(refused, TOKEN) == ("recipient refused: 550 no such user", True)
    busy = smtplib.SMTPRecipientsRefused({"a@x": (451, b"busy")})
    assert _failure(busy, TOKEN)[1] is False
    echoed = smtplib.SMTPDataError(554, f"rejected {TOKEN}".encode())
    text, final = _failure(echoed, TOKEN)
    assert TOKEN not in text and final is True
    assert _failure(ConnectionRefusedError(111, "refused"), TOKEN)[1] is False

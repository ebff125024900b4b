"""The invite mail: composed here, sent over SMTP off the request path, never lost.

Creating an invite stores it with its mail queued (the link's token sealed in the row's
outbox) and answers at once; this module's :class:`Outbox` sends it in the background and
retries a passing failure (a 4xx from the server, a connection that fails) after
``invite_mail_retry_s``, doubling, up to ``invite_mail_attempts`` tries. A refusal for
good (a 5xx: no such mailbox) is not retried. The outbox is in the database, so a mail
queued before a restart, by another replica or by the CLI goes out all the same; each
mail is leased to one sender while it is tried. Its state is the invite's
``mail_status`` / ``mail_error`` in the brand's listing.

``smtplib`` runs in a worker thread: one blocking conversation per mail, a few per hour,
is not worth a dependency. The link's token never reaches a log line or ``mail_error``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from cryptography.fernet import InvalidToken

from gate_service.config import Settings
from gate_service.invites.records import Mail, aware
from gate_service.invites.store import InviteStore
from gate_service.vault.cipher import VaultCipher

log = logging.getLogger("spidergate.invites")

SECURITY = ("starttls", "ssl", "none")
SMTP_TIMEOUT_S = 30.0
# A sender holds a mail this long while it tries it; another replica waits that out.
LEASE_S = 120.0
# The most the sender sleeps between looks at the outbox (mail queued elsewhere).
POLL_S = 5.0
INVITE_PATH = "/console/invite/"


@dataclass(frozen=True, slots=True)
class MailSettings:
    """How to reach the mail server, and where links point."""

    host: str
    port: int
    sender: str
    public_url: str
    security: str = "starttls"
    user: str = ""
    password: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> MailSettings | None:
        """The configured mail server, or None while invites are off (no host, sender or
        public URL). A wrong security mode stops the start rather than a mail later."""
        if not (settings.smtp_host and settings.smtp_from and settings.public_url):
            return None
        if settings.smtp_security not in SECURITY:
            raise ValueError(f"smtp security must be one of {', '.join(SECURITY)}")
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            public_url=settings.public_url.rstrip("/"),
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password,
        )

    def link(self, token: str) -> str:
        return f"{self.public_url}{INVITE_PATH}{token}"


def compose(mail: Mail, settings: MailSettings, provider_name: str) -> EmailMessage:
    """The invite as a plain-text mail: who asks, for what, the link and until when."""
    message = EmailMessage()
    message["Subject"] = f"{mail.brand_name} invites you to add a {provider_name} API key"
    message["From"] = settings.sender
    message["To"] = mail.email
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    lines = [
        f"{mail.brand_name} asks you to contribute a {provider_name} API key to their",
        "SpiderGate gateway. You paste the key on the page below; it is tested, then stored",
        f"encrypted. {mail.brand_name} never sees it, only a masked preview, and you can",
        "revoke it at any time.",
        "",
    ]
    if mail.message:
        lines += ["Their message:", "", *(f"  {line}" for line in mail.message.splitlines()), ""]
    lines += [
        f"Open this link (it works once, until {format_datetime(mail.expires_at)}):",
        "",
        settings.link(mail.token),
        "",
        "If you did not expect this mail, ignore it: nothing happens unless you open the",
        "link and paste a key.",
    ]
    message.set_content("\n".join(lines))
    return message


def send(settings: MailSettings, message: EmailMessage) -> None:
    """One SMTP conversation (blocking: run it in a thread)."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=SMTP_TIMEOUT_S, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_S)
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.user:
            smtp.login(settings.user, settings.password)
        smtp.send_message(message)


def _failure(error: Exception, token: str) -> tuple[str, bool]:
    """What went wrong, for the listing (the token scrubbed), and whether it may pass."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        words = "; ".join(
            f"{code} {text.decode(errors='replace')}" for code, text in error.recipients.values()
        )
        text, permanent = f"recipient refused: {words}", all(c >= 500 for c in codes)
    elif isinstance(error, smtplib.SMTPResponseException):
        detail = error.smtp_error
        words = detail.decode(errors="replace") if isinstance(detail, bytes) else str(detail)
        text, permanent = f"SMTP {error.smtp_code}: {words}", error.smtp_code >= 500
    else:
        text, permanent = f"{type(error).__name__}: {error}", False
    return text.replace(token, "…")[:300], permanent


class Outbox:
    """Sends queued invite mails in the background, with retries."""

    def __init__(
        self,
        store: InviteStore,
        cipher: VaultCipher,
        settings: MailSettings,
        *,
        clock: Callable[[], datetime],
        provider_name: Callable[[str], str],
        retry_s: float,
        attempts: int,
    ) -> None:
        self._store = store
        self._cipher = cipher
        self.settings = settings
        self._clock = clock
        self._provider_name = provider_name
        self._retry_s = retry_s
        self._attempts = max(1, attempts)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="invite-outbox")

    def wake(self) -> None:
        """A mail was queued: look now rather than at the next poll."""
        self._wake.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.flush()
                due = await asyncio.to_thread(self._store.next_due)
            except Exception:
                log.warning("invites: the outbox could not be read; trying again shortly")
                due = None
            wait = POLL_S
            if due is not None:
                wait = min(POLL_S, max(0.05, (due - self._clock()).total_seconds()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def flush(self) -> int:
        """Try every mail due now; returns how many went."""
        sent = 0
        for row, brand_name in await asyncio.to_thread(self._store.due, self._clock(), LEASE_S):
            assert row.outbox is not None
            try:
                token = self._cipher.decrypt(row.outbox)
            except InvalidToken:
                # Sealed under a vault key this process no longer has (rotated away
                # while the mail waited): the link cannot be rebuilt; say so, for good.
                text = "the link could not be read back (the vault key changed): invite again"
                log.warning("invites: mail for invite %s: %s", row.id, text)
                await asyncio.to_thread(
                    self._store.mail_failed, row.id, row.mail_attempts, text, None
                )
                continue
            mail = Mail(
                invite_id=row.id,
                attempts=row.mail_attempts,
                email=row.email,
                provider=row.provider,
                message=row.message,
                brand_name=brand_name,
                expires_at=aware(row.expires_at),
                token=token,
            )
            sent += await self._try(mail)
        return sent

    async def _try(self, mail: Mail) -> int:
        attempts = mail.attempts + 1
        message = compose(mail, self.settings, self._provider_name(mail.provider))
        try:
            await asyncio.to_thread(send, self.settings, message)
        except (smtplib.SMTPException, OSError) as error:
            text, permanent = _failure(error, mail.token)
            retry_at = None
            if not permanent and attempts < self._attempts:
                delay = self._retry_s * 2 ** (attempts - 1)
                retry_at = self._clock() + timedelta(seconds=delay)
            log.warning(
                "invites: mail for invite %s failed (attempt %d%s): %s",
                mail.invite_id,
                attempts,
                "" if retry_at else ", giving up",
                text,
            )
            await asyncio.to_thread(
                self._store.mail_failed, mail.invite_id, attempts, text, retry_at
            )
            return 0
        await asyncio.to_thread(self._store.mail_sent, mail.invite_id, attempts, self._clock())
        log.info("invites: mail for invite %s sent", mail.invite_id)
        return 1

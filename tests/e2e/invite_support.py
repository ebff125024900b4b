"""What the invite tests share: a real SMTP server (aiosmtpd) that keeps what arrives
and can refuse on demand, and a gateway that sends its invite mail there.

Waiting for a mail waits on the server's own event (a condition notified when a message
arrives), never on wall-clock time passing.
"""

from __future__ import annotations

import dataclasses
import email
import re
import threading
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.stack import Stack, free_port, make_settings

LINK_RE = re.compile(r"http://127\.0\.0\.1:\d+/console/invite/([A-Za-z0-9_-]+)")
SENDER = "gateway@spidergate.test"


class Inbox:
    """An SMTP server's handler: messages by recipient, and refusals on demand."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()  # recipients answered 550 (for good)
        self.defer = 0  # next RCPTs answered 451 (a passing failure)
        self.rcpt_attempts: list[str] = []
        self._arrived = threading.Condition()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self._arrived:
            self.rcpt_attempts.append(address)
            self._arrived.notify_all()
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        if self.defer > 0:
            self.defer -= 1
            return "451 4.3.0 busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, recipient: str, timeout: float = 30) -> EmailMessage:
        """The first message to ``recipient``, waiting for it to arrive."""

        def find() -> EmailMessage | None:
            return next((m for m in self.messages if m["To"] == recipient), None)

        with self._arrived:
            found = self._arrived.wait_for(find, timeout)
        assert found is not None, f"no mail arrived for {recipient}"
        return found

    def wait_attempts(self, recipient: str, count: int, timeout: float = 30) -> None:
        """Until the server has been asked ``count`` times to take mail for ``recipient``."""
        with self._arrived:
            seen = self._arrived.wait_for(
                lambda: self.rcpt_attempts.count(recipient) >= count, timeout
            )
        assert seen, f"{recipient}: {self.rcpt_attempts.count(recipient)} attempts, not {count}"


def link_token(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    match = LINK_RE.search(body.get_content())
    assert match, "the mail holds no invite link"
    return match.group(1)


def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """For a module fixture: aiosmtpd on 127.0.0.1, its inbox and port."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def invite_stack(
    tmp: Path, smtp_port: int, operator_token: str = "", **settings: Any
) -> Iterator[Stack]:
    """For a module fixture: a gateway mailing invites through the local SMTP server,
    its public address its own bridge's (the links in the mails open it)."""
    http_port = free_port()
    base = make_settings(tmp)
    configured = dataclasses.replace(
        base,
        operator_token=operator_token,
        public_url=f"http://127.0.0.1:{http_port}",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_from=SENDER,
        smtp_security="none",
        invite_mail_retry_s=0.2,
        **settings,
    )
    stack = Stack(configured, http_port=http_port).start(demo=True)
    yield stack
    stack.stop()


def api(stack: Stack, method: str, path: str, token: str | None, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"http://127.0.0.1:{stack.http_port}/api/gate/v1{path}"
    return httpx.request(method, url, headers=headers, timeout=60, **kw)


def wait_listing(
    stack: Stack, credential: str, invite_id: str, ready: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The invite as listed once ``ready`` holds for it: the background sender's progress
    as the admin sees it. Called once the SMTP server has seen what the test waits for,
    so only the sender's row update may still be on its way."""
    invite: dict[str, Any] = {}
    for _ in range(400):
        listed = api(stack, "GET", "/invites", credential).json()["data"]
        invite = next(i for i in listed if i["id"] == invite_id)
        if ready(invite):
            return invite
    pytest.fail(f"invite {invite_id} never got there: {invite}")

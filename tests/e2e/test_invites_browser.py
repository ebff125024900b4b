"""The contributor invite flow in a real browser (Debian's chromium through Playwright),
against a whole gateway whose invite mail goes to a real local SMTP server (aiosmtpd).

The brand's admin invites an address over the API; the mail arrives with a link; the
link opens the public page (no sign-in) showing who asks and their message; a key the
provider refuses is shown as refused and the link keeps working; a good key is tested
against the mock provider, stored in the brand's vault and serves the brand's chat at
once; the admin's listing shows only its masked preview; the revoke link deactivates and
deletes it. A reused link, an expired one (the service's clock moved 72 h on) and an
unknown one are refused with a page and 410 / 404. Last, no key and no token in the
gateway's log, and the key nowhere in what the browser kept.

Chromium missing is a failure, never a skip: .ci/run installs it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from gate_service.storage.models import utcnow
from tests.e2e.browser_support import Capture, captured_logs, headless_chromium
from tests.e2e.invite_support import Inbox, api, invite_stack, link_token, smtp_server
from tests.stack import Stack

SECRET = "sk-browser-contributed-RAW-0123456789abcdef"
REFUSED = "sk-browser-refused-RAW-0123456789abcdef"
_names = itertools.count()


@pytest.fixture(scope="module")
def logs() -> Iterator[Capture]:
    yield from captured_logs()


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    yield from smtp_server()


@pytest.fixture(scope="module")
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    return smtp[0]


@pytest.fixture(scope="module")
def istack(
    tmp_path_factory: pytest.TempPathFactory, smtp: tuple[Inbox, int], logs: Capture
) -> Iterator[Stack]:
    yield from invite_stack(Path(tmp_path_factory.mktemp("invites-browser")), smtp[1])


@pytest.fixture(scope="module")
def admin(istack: Stack) -> str:
    """The inviting brand's client credential."""
    _, credential = istack.core.identity.create_brand("Acme Robotics")
    return str(credential)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from headless_chromium()


@pytest.fixture(scope="module")
def kept() -> list[str]:
    """Everything the browser showed, requested or stored, for the final check."""
    return []


@pytest.fixture
def context(browser: Browser, kept: list[str]) -> Iterator[BrowserContext]:
    ctx = browser.new_context()
    ctx.on("request", lambda r: kept.append(r.url))
    yield ctx
    kept.extend(f"{c['name']}={c['value']}" for c in ctx.cookies())
    ctx.close()


def invite_by_mail(stack: Stack, inbox: Inbox, admin: str, **body: Any) -> tuple[str, str]:
    """(invite id, link) of a fresh invite, the link read from the mail that arrived."""
    email = f"contributor{next(_names)}@example.com"
    created = api(
        stack,
        "POST",
        "/invites",
        admin,
        json={"email": email, "provider": "groq", "base_url": stack.mock.url + "/contrib/v1"}
        | body,
    )
    assert created.status_code == 202, created.text
    token = link_token(inbox.wait_for(email))
    return created.json()["id"], f"http://127.0.0.1:{stack.http_port}/console/invite/{token}"


def submit(page: Page, selector: str) -> int:
    """Submit a form; the status of the page it led to."""
    with page.expect_navigation() as navigation:
        page.click(selector)
    response = navigation.value
    assert response is not None
    return response.status


def test_the_contributor_stores_a_key_the_brand_uses_and_revokes_it(
    istack: Stack, inbox: Inbox, admin: str, context: BrowserContext, kept: list[str]
) -> None:
    invite_id, link = invite_by_mail(
        istack, inbox, admin, message="Hi Ana, our Groq quota ran out. Thanks!"
    )
    page = context.new_page()
    opened = page.goto(link)
    assert opened is not None and opened.status == 200
    assert "default-src 'none'" in (opened.headers.get("content-security-policy") or "")
    assert page.text_content("[data-field=brand]") == "Acme Robotics"
    assert page.text_content("[data-field=provider]") == "Groq"
    assert "our Groq quota ran out" in (page.text_content("[data-field=message]") or "")

    # A key the provider refuses: said so on the page, and the link still works.
    httpx.post(
        istack.mock.url + "/__mock/faults",
        json={"kind": "error", "status": 401, "match": {"key": REFUSED}},
    ).raise_for_status()
    page.fill("#secret", REFUSED)
    assert submit(page, ".invite-accept button") == 400
    assert "test connection failed" in (page.text_content("[role=alert]") or "")
    kept.append(page.content())
    httpx.delete(istack.mock.url + "/__mock/faults").raise_for_status()

    page.fill("#secret", SECRET)
    assert submit(page, ".invite-accept button") == 200
    assert page.text_content("[data-field=preview]") == "sk-b…def"
    revoke_url = page.get_attribute("#revoke-link", "href")
    assert revoke_url and "/console/invite/revoke/" in revoke_url
    kept.append(page.content())
    assert istack.mock.state.records[-1].key == SECRET  # tested against the provider

    # The key serves the brand at once; the admin sees only its preview.
    chat = api(
        istack,
        "POST",
        "/chat/completions",
        admin,
        json={"model": "groq/llama-3.1-8b-instant", "messages": [{"role": "user", "content": "?"}]},
    )
    assert chat.status_code == 200, chat.text
    assert istack.mock.state.records[-1].key == SECRET
    listing = api(istack, "GET", "/invites", admin)
    (row,) = [i for i in listing.json()["data"] if i["id"] == invite_id]
    assert (row["status"], row["key_preview"]) == ("used", "sk-b…def")
    keys = api(istack, "GET", "/vault/keys", admin)
    assert [k["preview"] for k in keys.json()["data"]] == ["sk-b…def"]
    assert SECRET not in listing.text + keys.text

    # The link worked once.
    again = page.goto(link)
    assert again is not None and again.status == 410
    assert "used already" in (page.text_content("[role=alert]") or "")

    # The revoke link: a confirmation, then the key is gone; then the link is spent.
    confirm = page.goto(revoke_url)
    assert confirm is not None and confirm.status == 200
    assert submit(page, ".invite-revoke button") == 200
    assert "revoked" in (page.text_content("h1") or "")
    assert api(istack, "GET", "/vault/keys", admin).json()["data"] == []
    listing = api(istack, "GET", "/invites", admin).json()["data"]
    (row,) = [i for i in listing if i["id"] == invite_id]
    assert (row["status"], row["revoked_by"]) == ("revoked", "contributor")
    page.goto(revoke_url)
    assert submit(page, ".invite-revoke button") == 404
    kept.append(page.content())


def test_expired_and_unknown_links_are_refused(
    istack: Stack, inbox: Inbox, admin: str, context: BrowserContext
) -> None:
    invite_id, link = invite_by_mail(istack, inbox, admin)
    service, now = istack.core.invites, utcnow()
    page = context.new_page()
    try:
        service.clock = lambda: now + timedelta(hours=72, seconds=1)
        expired = page.goto(link)
        assert expired is not None and expired.status == 410
        assert "expired" in (page.text_content("[role=alert]") or "")
        listing = api(istack, "GET", "/invites", admin).json()["data"]
        assert [i["status"] for i in listing if i["id"] == invite_id] == ["expired"]
    finally:
        service.clock = utcnow
    unknown = page.goto(link.rsplit("/", 1)[0] + "/" + "Z" * 43)
    assert unknown is not None and unknown.status == 404
    assert "not valid" in (page.text_content("[role=alert]") or "")


def test_no_key_or_token_leaks(istack: Stack, logs: Capture, kept: list[str], inbox: Inbox) -> None:
    """Runs last: the gateway's log and metrics hold neither key nor any link's token
    (the pages are counted under their route's template); what the browser kept holds no
    key (its URLs hold the tokens: that is what a link is)."""
    tokens = [link_token(m) for m in inbox.messages]
    assert tokens and kept
    log = "\n".join(logs.lines)
    metrics = httpx.get(f"http://127.0.0.1:{istack.http_port}/metrics").text
    assert 'route="/console/invite/{token}"' in metrics
    for secret in (SECRET, REFUSED, *tokens):
        assert secret not in log and secret not in metrics
    for secret in (SECRET, REFUSED):
        assert all(secret not in text for text in kept)

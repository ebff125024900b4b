"""Contributor invites over the real stack: REST through the bridge, gRPC through the
generated stubs, mail through a real local SMTP server (aiosmtpd).

Who may invite, validation, tenancy (another brand neither sees nor withdraws), the mail
and its retries, the public link's calls over gRPC (a refused key leaves the link
working; a stored key serves the brand at once; a link works once and expires on time),
and no token or key in anything the admin sees. The browser flow is in
``test_invites_browser.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from sqlalchemy import text

from gate_service.cli.main import main
from gate_service.storage.models import utcnow
from spidergate.v1 import invites_pb2, invites_pb2_grpc
from tests.e2e.grpc_api.support import rich_error
from tests.e2e.invite_support import (
    Inbox,
    api,
    invite_stack,
    link_token,
    smtp_server,
    wait_listing,
)
from tests.stack import Stack

_names = itertools.count()
Brand = tuple[str, str]  # (client_id, client credential)


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    yield from smtp_server()


@pytest.fixture(scope="module")
def inbox(smtp: tuple[Inbox, int]) -> Inbox:
    return smtp[0]


@pytest.fixture(scope="module")
def istack(tmp_path_factory: pytest.TempPathFactory, smtp: tuple[Inbox, int]) -> Iterator[Stack]:
    yield from invite_stack(Path(tmp_path_factory.mktemp("invites")), smtp[1])


@pytest.fixture
def new_brand(istack: Stack) -> Callable[[], Brand]:
    def make() -> Brand:
        view, credential = istack.core.identity.create_brand(f"invite-brand-{next(_names)}")
        return view.client_id, str(credential)

    return make


@pytest.fixture
def stub(istack: Stack) -> Iterator[invites_pb2_grpc.InviteServiceStub]:
    with grpc.insecure_channel(istack.grpc_target) as channel:
        yield invites_pb2_grpc.InviteServiceStub(channel)


@pytest.fixture
def faults(istack: Stack) -> Iterator[Callable[..., None]]:
    def add(**rule: Any) -> None:
        httpx.post(istack.mock.url + "/__mock/faults", json=rule).raise_for_status()

    yield add
    httpx.delete(istack.mock.url + "/__mock/faults").raise_for_status()


def address() -> str:
    return f"dev{next(_names)}@example.com"


def invite(stack: Stack, credential: str, email: str, **body: Any) -> dict[str, Any]:
    body = {"email": email, "provider": "groq", "base_url": stack.mock.url + "/groq/v1", **body}
    created = api(stack, "POST", "/invites", credential, json=body)
    assert created.status_code == 202, created.text
    return dict(created.json())


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def gone_or_missing(call: Callable[[], Any]) -> tuple[grpc.StatusCode, str, int]:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    detail, _ = rich_error(caught.value)
    return caught.value.code(), detail.code, detail.http_status


# ------------------------------------------------------------------------------ REST


def test_an_invite_is_mailed_with_a_link_and_listed_with_its_mail_status(
    istack: Stack, inbox: Inbox, new_brand: Callable[[], Brand]
) -> None:
    _, credential = new_brand()
    email = address()
    created = invite(istack, credential, email, message="Hi!\nPlease add your key.")
    assert created["object"] == "invite" and created["status"] == "pending"
    assert created["email"] == email and created["provider"] == "groq"
    assert created["label"] == f"invited: {email}" and created["key_preview"] is None
    assert created["expires_at"] - created["created_at"] == 72 * 3600

    mail = inbox.wait_for(email)
    assert mail["From"] == "gateway@spidergate.test"
    assert "invites you to add a Groq API key" in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Please add your key." in body
    token = link_token(mail)

    listed = wait_listing(istack, credential, created["id"], lambda i: i["mail_status"] == "sent")
    assert listed["mail_attempts"] == 1 and listed["mail_sent_at"] and listed["mail_error"] is None
    listing = api(istack, "GET", "/invites?status=pending", credential)
    assert token not in listing.text and [i["id"] for i in listing.json()["data"]] == [
        created["id"]
    ]
    assert api(istack, "GET", "/invites?status=used", credential).json()["data"] == []
    with istack.core.db.engine.connect() as connection:
        row = (
            connection.execute(text("SELECT * FROM invite WHERE id = :i"), {"i": created["id"]})
            .mappings()
            .one()
        )
    assert token not in str(dict(row)) and row["outbox"] is None  # sent: the outbox is empty


def test_a_passing_mail_failure_is_retried_and_a_refusal_is_final(
    istack: Stack, inbox: Inbox, new_brand: Callable[[], Brand]
) -> None:
    _, credential = new_brand()
    email = address()
    inbox.defer = 1  # the next RCPT: 451, try again later
    created = invite(istack, credential, email)
    inbox.wait_for(email)
    listed = wait_listing(istack, credential, created["id"], lambda i: i["mail_status"] == "sent")
    assert listed["mail_attempts"] == 2

    refused = address()
    inbox.refuse.add(refused)
    created = invite(istack, credential, refused)
    inbox.wait_attempts(refused, 1)
    listed = wait_listing(istack, credential, created["id"], lambda i: i["mail_status"] == "failed")
    assert listed["mail_attempts"] == 1 and "550" in listed["mail_error"]
    assert listed["status"] == "pending"  # the invite stands; its mail did not go


def test_validation_answers_400_naming_the_field(
    istack: Stack, new_brand: Callable[[], Brand]
) -> None:
    _, credential = new_brand()
    cases: list[tuple[Any, str]] = [
        ({"provider": "groq"}, "email"),
        ({"email": "dev@example.com"}, "provider"),
        ({"email": "not-an-address", "provider": "groq"}, "email"),
        ({"email": "a@example.com\r\nBcc: x@evil.test", "provider": "groq"}, "email"),
        ({"email": "dev@example.com", "provider": "no-such-provider"}, "provider"),
        ({"email": "dev@example.com", "provider": "groq", "colour": "red"}, "colour"),
        ({"email": "dev@example.com", "provider": "groq", "message": 5}, "message"),
        ({"email": "dev@example.com", "provider": "groq", "message": "x" * 2001}, "message"),
        ({"email": "dev@example.com", "provider": "cloudflare"}, "base_url"),
        (
            {"email": "dev@example.com", "provider": "groq", "base_url": "http://169.254.169.254/"},
            "base_url",
        ),
    ]
    for body, param in cases:
        r = api(istack, "POST", "/invites", credential, json=body)
        assert r.status_code == 400, (body, r.text)
        assert (r.json()["error"]["code"], r.json()["error"]["param"]) == ("invalid_request", param)
    r = api(istack, "POST", "/invites", credential, content=b"{not json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request"
    r = api(istack, "GET", "/invites?status=lost", credential)
    assert (r.status_code, r.json()["error"]["param"]) == (400, "status")
    assert api(istack, "GET", "/invites", credential).json()["data"] == []  # nothing stored


def test_only_a_brands_client_credential_invites(
    istack: Stack, new_brand: Callable[[], Brand]
) -> None:
    client_id, _ = new_brand()
    _, agent = istack.core.identity.mint_token(client_id, "agent", None)
    body = {"email": address(), "provider": "groq"}
    assert api(istack, "POST", "/invites", None, json=body).status_code == 401
    # 401 comes before the 400 of a body the bridge could not read.
    assert api(istack, "POST", "/invites", None, content=b"{oops").status_code == 401
    for method, path in (("POST", "/invites"), ("GET", "/invites"), ("DELETE", "/invites/x")):
        r = api(istack, method, path, str(agent), json=body)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "permission_denied")


def test_another_brand_neither_sees_nor_withdraws(
    istack: Stack, inbox: Inbox, new_brand: Callable[[], Brand], stub: Any
) -> None:
    _, mine = new_brand()
    _, theirs = new_brand()
    email = address()
    created = invite(istack, mine, email)
    token = link_token(inbox.wait_for(email))
    assert api(istack, "GET", "/invites", theirs).json()["data"] == []
    r = api(istack, "DELETE", f"/invites/{created['id']}", theirs)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    assert api(istack, "DELETE", "/invites/inv_nope", mine).status_code == 404

    withdrawn = api(istack, "DELETE", f"/invites/{created['id']}", mine)
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["status"], withdrawn.json()["revoked_by"]) == ("revoked", "brand")
    again = api(istack, "DELETE", f"/invites/{created['id']}", mine)
    assert (again.status_code, again.json()["error"]["param"]) == (400, "invite_id")
    # The withdrawn link no longer opens.
    code, reason, status = gone_or_missing(
        lambda: stub.OpenInvite(invites_pb2.OpenInviteRequest(token=token), timeout=30)
    )
    assert (code, reason, status) == (grpc.StatusCode.FAILED_PRECONDITION, "invite_gone", 410)


def test_invites_are_off_without_a_mail_server(stack: Stack, brand: tuple[str, str]) -> None:
    """The shared gateway has no SMTP settings: creating an invite says what is missing."""
    r = api(stack, "POST", "/invites", brand[1], json={"email": address(), "provider": "groq"})
    assert (r.status_code, r.json()["error"]["code"]) == (503, "service_unavailable")
    assert "SPIDERGATE_SMTP_HOST" in r.json()["error"]["message"]


# ------------------------------------------------------------------------------ gRPC


def test_grpc_invite_accept_serve_and_revoke(
    istack: Stack,
    inbox: Inbox,
    new_brand: Callable[[], Brand],
    stub: Any,
    faults: Callable[..., None],
) -> None:
    _, credential = new_brand()
    email = address()
    created = stub.CreateInvite(
        invites_pb2.CreateInviteRequest(
            email=email, provider="groq", base_url=istack.mock.url + "/contrib/v1", label="ana"
        ),
        metadata=bearer(credential),
        timeout=30,
    ).invite
    assert created.status == invites_pb2.INVITE_STATUS_PENDING
    token = link_token(inbox.wait_for(email))

    opened = stub.OpenInvite(invites_pb2.OpenInviteRequest(token=token), timeout=30)
    assert (opened.provider, opened.provider_name, opened.email) == ("groq", "Groq", email)

    # A key the provider refuses: 400 with the provider's reason; the link still works.
    faults(kind="error", status=401, match={"key": "sk-refused-key-0123456789"})
    with pytest.raises(grpc.RpcError) as caught:
        stub.AcceptInvite(
            invites_pb2.AcceptInviteRequest(token=token, secret="sk-refused-key-0123456789"),
            timeout=60,
        )
    detail, _ = rich_error(caught.value)
    assert detail.code == "invalid_request" and "test connection failed" in detail.message
    assert "sk-refused-key-0123456789" not in detail.message

    secret = "sk-contributed-RAW-SECRET-0123456789abcdef"
    accepted = stub.AcceptInvite(
        invites_pb2.AcceptInviteRequest(token=token, secret=secret), timeout=60
    )
    assert accepted.key_preview == "sk-c…def" and accepted.revoke_token
    assert istack.mock.state.records[-1].key == secret  # it was tested for real

    # Used once: the same link again is 410.
    code, reason, status = gone_or_missing(
        lambda: stub.AcceptInvite(
            invites_pb2.AcceptInviteRequest(token=token, secret=secret), timeout=30
        )
    )
    assert (code, reason, status) == (grpc.StatusCode.FAILED_PRECONDITION, "invite_gone", 410)

    # The key serves the brand at once, ahead of the pool's.
    chat = api(
        istack,
        "POST",
        "/chat/completions",
        credential,
        json={
            "model": "groq/llama-3.1-8b-instant",
            "messages": [{"role": "user", "content": "hi"}],
        },
    )
    assert chat.status_code == 200, chat.text
    served = istack.mock.state.records[-1]
    assert served.key == secret and served.prefix.startswith("/contrib")

    listed = stub.ListInvites(invites_pb2.ListInvitesRequest(), metadata=bearer(credential))
    (row,) = listed.invites
    assert row.status == invites_pb2.INVITE_STATUS_USED and row.key_preview == "sk-c…def"
    assert row.key_id and row.label == "ana"
    keys = api(istack, "GET", "/vault/keys", credential).json()["data"]
    assert [(k["id"], k["preview"], k["label"]) for k in keys] == [(row.key_id, "sk-c…def", "ana")]
    everything = [
        str(listed),
        api(istack, "GET", "/invites", credential).text,
        api(istack, "GET", "/vault/keys", credential).text,
    ]
    assert all(secret not in seen and token not in seen for seen in everything)

    revoked = stub.RevokeContribution(
        invites_pb2.RevokeContributionRequest(token=accepted.revoke_token), timeout=30
    )
    assert revoked.key_preview == "sk-c…def"
    assert api(istack, "GET", "/vault/keys", credential).json()["data"] == []
    (row,) = stub.ListInvites(invites_pb2.ListInvitesRequest(), metadata=bearer(credential)).invites
    assert (row.status, row.revoked_by) == (invites_pb2.INVITE_STATUS_REVOKED, "contributor")
    # The revoke link works until used.
    code, reason, _ = gone_or_missing(
        lambda: stub.RevokeContribution(
            invites_pb2.RevokeContributionRequest(token=accepted.revoke_token), timeout=30
        )
    )
    assert (code, reason) == (grpc.StatusCode.NOT_FOUND, "not_found")


def test_a_link_expires_on_time(
    istack: Stack, inbox: Inbox, new_brand: Callable[[], Brand], stub: Any
) -> None:
    _, credential = new_brand()
    email = address()
    created = invite(istack, credential, email)
    token = link_token(inbox.wait_for(email))
    service = istack.core.invites
    created_at = utcnow()
    try:
        service.clock = lambda: created_at + timedelta(hours=71, minutes=59)
        stub.OpenInvite(invites_pb2.OpenInviteRequest(token=token), timeout=30)  # still valid
        service.clock = lambda: created_at + timedelta(hours=72, seconds=1)
        code, reason, status = gone_or_missing(
            lambda: stub.AcceptInvite(
                invites_pb2.AcceptInviteRequest(token=token, secret="sk-late-0123456789abcdef"),
                timeout=30,
            )
        )
        assert (code, reason, status) == (grpc.StatusCode.FAILED_PRECONDITION, "invite_gone", 410)
        listed = api(istack, "GET", "/invites", credential).json()["data"]
        assert [(i["id"], i["status"]) for i in listed] == [(created["id"], "expired")]
        r = api(istack, "DELETE", f"/invites/{created['id']}", credential)
        assert r.status_code == 400  # only a pending invite can be withdrawn
    finally:
        service.clock = utcnow


def test_unknown_and_malformed_links_are_404(stub: Any) -> None:
    for token in ("A" * 43, "short", "../../etc/passwd", "x" * 500):
        request = invites_pb2.OpenInviteRequest(token=token)
        code, reason, status = gone_or_missing(
            lambda request=request: stub.OpenInvite(request, timeout=30)  # type: ignore[misc]
        )
        assert (code, reason, status) == (grpc.StatusCode.NOT_FOUND, "not_found", 404)


def test_a_mail_queued_by_another_process_is_sent_by_the_running_gateway(
    istack: Stack, inbox: Inbox, new_brand: Callable[[], Brand], capsys: pytest.CaptureFixture[str]
) -> None:
    """The outbox is the database: the CLI (no mail settings of its own) queues the mail,
    and this running gateway's sender delivers it, as it would after a restart."""
    client_id, credential = new_brand()
    brand_name = istack.core.identity.brand(client_id).name  # type: ignore[union-attr]
    email = address()
    argv = ["invite", "create", email, "groq", "--brand", brand_name]
    assert main([*argv, "--data-dir", str(istack.settings.data_dir)]) == 0
    assert "queued" in capsys.readouterr().out
    token = link_token(inbox.wait_for(email))
    opened = api(istack, "GET", "/invites", credential).json()["data"]
    assert [i["email"] for i in opened] == [email] and token not in str(opened)

"""Sending over TLS against a real server (aiosmtpd) with a certificate the test makes:
STARTTLS (the default) then a sign-in, and TLS from the first byte ("ssl"); a server
whose certificate the client does not trust is refused, never sent to in the clear.

The client checks the certificate against the system's trust store, so the test points
OpenSSL's ``SSL_CERT_FILE`` at its own CA for the call."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gate_service.invites.mailer import MailSettings, send
from tests.e2e.invite_support import Inbox
from tests.stack import free_port

USER, PASSWORD = "gateway", "smtp-password-for-the-tls-test"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok)


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
    )
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def ssl_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, ssl_context=_server_context(certificate)
    )
    controller.start()
    yield inbox, port
    controller.stop()


def _message(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "gate@spidergate.test", to, "hi"
    message.set_content("hello")
    return message


def _settings(port: int, security: str, **kw: Any) -> MailSettings:
    return MailSettings(
        host="127.0.0.1",
        port=port,
        sender="gate@spidergate.test",
        public_url="https://gate.test",
        security=security,
        **kw,
    )


def test_starttls_then_sign_in(
    starttls_server: tuple[Inbox, int],
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = starttls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    send(_settings(port, "starttls", user=USER, password=PASSWORD), _message("a@example.com"))
    assert inbox.wait_for("a@example.com")["Subject"] == "hi"


def test_ssl_from_the_first_byte(
    ssl_server: tuple[Inbox, int], certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = ssl_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    send(_settings(port, "ssl"), _message("b@example.com"))
    assert inbox.wait_for("b@example.com")["Subject"] == "hi"


def test_an_untrusted_certificate_is_refused(starttls_server: tuple[Inbox, int]) -> None:
    inbox, port = starttls_server
    with pytest.raises(ssl.SSLCertVerificationError):
        send(_settings(port, "starttls", user=USER, password=PASSWORD), _message("c@example.com"))
    assert inbox.messages == []

"""SMTP over TLS: STARTTLS with a login, implicit TLS (smtps://), and certificates checked."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from server.clock import FrozenClock
from server.mail.sender import SmtpServer as SmtpTarget
from server.settings import Settings
from tests.mail.conftest import SmtpServer, accept_login, eventually, server_tls_context
from tests.mail.test_sender import all_sent, outbox, queue_notice, with_smtp


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test SMTP server")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(cert_file), str(key_file)


@pytest.fixture
def trusted(certificate: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The test certificate trusted the way an operator trusts a private CA (SSL_CERT_FILE)."""
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
    return certificate


async def test_a_login_goes_only_over_starttls_and_the_notice_is_delivered(
    start_server, settings: Settings, smtp_server: SmtpServer, trusted: tuple[str, str], db, clock: FrozenClock
) -> None:  # type: ignore[no-untyped-def]
    smtp_server.start(
        tls_context=server_tls_context(*trusted), require_starttls=True,
        authenticator=accept_login("renkei", "p@ss word"), auth_require_tls=True,
    )  # fmt: skip
    await start_server(with_smtp(settings, f"smtp://renkei:p%40ss%20word@127.0.0.1:{smtp_server.port}"))
    await queue_notice(db, clock, settings)
    assert await eventually(lambda: all_sent(db))
    [session] = smtp_server.mailbox.sessions
    assert session.ssl and session.authenticated


async def test_smtps_speaks_tls_from_the_first_byte(
    start_server, settings: Settings, smtp_server: SmtpServer, trusted: tuple[str, str], db, clock: FrozenClock
) -> None:  # type: ignore[no-untyped-def]
    smtp_server.start(ssl_context=server_tls_context(*trusted))
    await start_server(with_smtp(settings, f"smtps://127.0.0.1:{smtp_server.port}"))
    await queue_notice(db, clock, settings)
    assert await eventually(lambda: all_sent(db))
    assert len(smtp_server.mailbox.received) == 1


async def test_a_server_whose_certificate_is_not_trusted_gets_no_notice(
    start_server, settings: Settings, smtp_server: SmtpServer, certificate: tuple[str, str], db, clock: FrozenClock
) -> None:  # type: ignore[no-untyped-def]
    smtp_server.start(ssl_context=server_tls_context(*certificate))
    await start_server(with_smtp(settings, f"smtps://127.0.0.1:{smtp_server.port}"))
    await queue_notice(db, clock, settings)
    assert await eventually(lambda: db.fetchval("SELECT attempts = 1 FROM email_outbox"))
    [row] = await outbox(db)
    assert row["sent_at"] is None and "CERTIFICATE_VERIFY_FAILED" in row["last_error"]
    assert smtp_server.mailbox.received == []


@pytest.mark.parametrize(("url", "port", "start_tls"), [
    pytest.param("smtp://mail.example.jp", 25, None, id="STARTTLS when offered"),
    pytest.param("smtp://user:secret@mail.example.jp:587", 587, True, id="a login over the network requires STARTTLS"),
    pytest.param("smtp://user:secret@127.0.0.1:1025", 1025, None, id="a login on this machine need not"),
    pytest.param("smtps://user:secret@mail.example.jp", 465, False, id="smtps is TLS from the start"),
])  # fmt: skip
def test_the_smtp_url_decides_port_and_tls(url: str, port: int, start_tls: bool | None) -> None:
    target = SmtpTarget.from_url(url)
    assert (target.port, target.start_tls) == (port, start_tls)

"""SMTP as production runs it: STARTTLS or implicit TLS with a checked certificate, and login."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from idp_extension.db import db
from idp_extension.mail import outbox
from idp_extension.models import OutboxMessage, OutboxStatus

from ..conftest import configure

USERNAME, PASSWORD = "idp-relay", "relay-password-s3cret"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


class Authenticator:
    """Accepts one login, remembers who logged in."""

    def __init__(self):
        self.logins: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == USERNAME
            and auth_data.password.decode() == PASSWORD
        ):
            self.logins.append(USERNAME)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def use_server(app, port: int, **settings) -> None:
    """Point the running app's Flask-Mail at a server, as IDP_MAIL_* would at start-up."""
    state = app.extensions["idp"].mail
    state.port = port
    state.use_tls = settings.get("tls", False)
    state.use_ssl = settings.get("ssl", False)
    state.username = settings.get("username")
    state.password = settings.get("password")


def write_one(app) -> int:
    with app.app_context():
        message = outbox.enqueue("notice", "adherent@example.org", "Avis", "Lien", "<p>Lien</p>")
        db.session.commit()
        return message.id


def state_of(app, message_id: int) -> OutboxMessage:
    with app.app_context():
        found = db.session.get(OutboxMessage, message_id)
        db.session.expunge(found)
        return found


@pytest.fixture
def starttls_server(own_smtp, certificate):
    authenticator = Authenticator()
    server = own_smtp(
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    server.authenticator = authenticator
    return server


def test_starttls_with_a_checked_certificate_and_login(app, starttls_server, certificate):
    configure(app, IDP_MAIL_CA_FILE=str(certificate[0]))
    use_server(app, starttls_server.port, tls=True, username=USERNAME, password=PASSWORD)
    message_id = write_one(app)
    with app.app_context():
        assert outbox.deliver_due()["sent"] == 1
    assert starttls_server.authenticator.logins == [USERNAME]
    assert [m["To"] for m in starttls_server.messages] == ["adherent@example.org"]
    assert state_of(app, message_id).status == OutboxStatus.SENT


def test_an_unknown_certificate_is_refused_and_the_mail_waits(app, starttls_server):
    # No CA file: the relay's self-signed certificate is not trusted.
    use_server(app, starttls_server.port, tls=True, username=USERNAME, password=PASSWORD)
    message_id = write_one(app)
    with app.app_context():
        assert outbox.deliver_due() == {"sent": 0, "retry": 1, "failed": 0}
    stored = state_of(app, message_id)
    assert stored.status == OutboxStatus.PENDING
    assert "CERTIFICATE_VERIFY_FAILED" in stored.last_error
    assert starttls_server.messages == [] and starttls_server.authenticator.logins == []


def test_a_refused_login_waits_and_never_records_the_password(app, starttls_server, certificate):
    configure(app, IDP_MAIL_CA_FILE=str(certificate[0]))
    use_server(app, starttls_server.port, tls=True, username=USERNAME, password="wrong-pass")
    message_id = write_one(app)
    with app.app_context():
        assert outbox.deliver_due() == {"sent": 0, "retry": 1, "failed": 0}
    stored = state_of(app, message_id)
    # A login refusal is the provider's setting, not the message's fault: retried, not failed.
    assert stored.status == OutboxStatus.PENDING
    assert "535" in stored.last_error
    assert "wrong-pass" not in stored.last_error


def test_implicit_tls(app, own_smtp, certificate):
    server = own_smtp(ssl_context=server_context(certificate))
    configure(app, IDP_MAIL_CA_FILE=str(certificate[0]))
    use_server(app, server.port, ssl=True)
    write_one(app)
    with app.app_context():
        assert outbox.deliver_due()["sent"] == 1
    assert len(server.messages) == 1

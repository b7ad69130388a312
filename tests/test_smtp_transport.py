"""The SMTP transport against a real aiosmtpd server on loopback: a password sent without TLS
(SAFETYNET_SMTP_TLS=none) still works, with a warning that never carries the password."""

from __future__ import annotations

import logging
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from alerts.transport import SmtpTransport, configured_smtp
from tests.alert_servers import Inbox, free_port

PASSWORD = "smtp-secret-password"


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "sync@localhost", "ops@localhost", "test"
    message.set_content("no client data")
    return message


def test_a_password_over_smtp_without_tls_is_sent_with_a_warning(monkeypatch, caplog):
    logins: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)

    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False
    )
    controller.start()
    try:
        for name, value in {"HOST": "127.0.0.1", "PORT": str(port), "TLS": "none", "USER": "sync"}.items():
            monkeypatch.setenv(f"SAFETYNET_SMTP_{name}", value)
        monkeypatch.setenv("SAFETYNET_SMTP_PASSWORD", PASSWORD)
        transport = SmtpTransport(configured_smtp())
        with caplog.at_level(logging.WARNING, logger="alerts.transport"):
            transport.send(_message())
            transport.close()
    finally:
        controller.stop()
    assert logins == [("sync", PASSWORD)] and len(inbox.received) == 1
    warnings = [r.getMessage() for r in caplog.records if r.name == "alerts.transport"]
    assert len(warnings) == 1 and "unencrypted" in warnings[0] and f"127.0.0.1:{port}" in warnings[0]
    assert PASSWORD not in warnings[0]


def test_no_warning_without_a_password(monkeypatch, caplog):
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("SAFETYNET_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SAFETYNET_SMTP_PORT", str(port))
        monkeypatch.setenv("SAFETYNET_SMTP_TLS", "none")
        transport = SmtpTransport(configured_smtp())
        with caplog.at_level(logging.WARNING, logger="alerts.transport"):
            transport.send(_message())
            transport.close()
    finally:
        controller.stop()
    assert len(inbox.received) == 1 and not [r for r in caplog.records if r.name == "alerts.transport"]

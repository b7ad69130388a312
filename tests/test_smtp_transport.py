"""The SMTP transport against a real aiosmtpd server on loopback: a password without TLS
(SAFETYNET_SMTP_TLS=none) is refused before any connection unless explicitly allowed
(SAFETYNET_SMTP_ALLOW_PLAINTEXT_PASSWORD=1), and then sent with a warning that never carries it."""

from __future__ import annotations

import logging
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from alerts.transport import PlaintextPasswordRefused, SmtpTransport, configured_smtp
from tests.alert_servers import Inbox, free_port

PASSWORD = "smtp-secret-password"


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "sync@localhost", "ops@localhost", "test"
    message.set_content("no client data")
    return message


def test_a_password_over_smtp_without_tls_is_refused_unless_allowed(monkeypatch, caplog):
    connections: list[str] = []

    class Counting(Inbox):
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            connections.append(hostname)
            return responses

    inbox, port = Counting(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, auth_require_tls=False)
    controller.start()
    try:
        for name, value in {"HOST": "127.0.0.1", "PORT": str(port), "TLS": "none", "USER": "sync"}.items():
            monkeypatch.setenv(f"SAFETYNET_SMTP_{name}", value)
        monkeypatch.setenv("SAFETYNET_SMTP_PASSWORD", PASSWORD)
        transport = SmtpTransport(configured_smtp())
        with caplog.at_level(logging.WARNING, logger="alerts.transport"):
            with pytest.raises(PlaintextPasswordRefused) as refused:
                transport.send(_message())
            transport.close()
    finally:
        controller.stop()
    # nothing reached the server: not even a greeting, let alone the password
    assert connections == [] and inbox.received == []
    errors = [r for r in caplog.records if r.name == "alerts.transport"]
    assert len(errors) == 1 and errors[0].levelno == logging.ERROR
    assert "SAFETYNET_SMTP_ALLOW_PLAINTEXT_PASSWORD=1" in errors[0].getMessage()
    assert PASSWORD not in errors[0].getMessage() and PASSWORD not in str(refused.value)


def test_a_password_over_smtp_without_tls_when_allowed_is_sent_with_a_warning(monkeypatch, caplog):
    monkeypatch.setenv("SAFETYNET_SMTP_ALLOW_PLAINTEXT_PASSWORD", "1")
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

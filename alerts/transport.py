"""How alerts leave: SMTP in production, ``.eml`` files in an outbox folder on the embedded default.

Both take a ready ``EmailMessage``. A transport raises on failure; the caller (``notify``) keeps the
message pending and records only the exception type, so nothing is lost and nothing is logged
that an SMTP server may have echoed.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import settings
from settings.files import private_dir, write_private

TLS_MODES = ("starttls", "ssl", "none")
log = logging.getLogger(__name__)


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    user: str = ""
    password: str = ""
    #: ``starttls`` (submission port 587), ``ssl`` (implicit TLS, port 465) or ``none`` (relay on a
    #: trusted network or a local test server)
    tls: str = "starttls"
    timeout: float = 30.0
    #: a password over ``tls = none`` is refused unless this is set (a relay on a trusted segment)
    allow_plaintext_password: bool = False

    def __post_init__(self) -> None:
        if self.tls not in TLS_MODES:
            raise ValueError(f"SMTP TLS mode must be one of {', '.join(TLS_MODES)}, not {self.tls!r}")


class PlaintextPasswordRefused(RuntimeError):
    """SMTP login without TLS while ``SAFETYNET_SMTP_ALLOW_PLAINTEXT_PASSWORD`` is not 1."""


class SmtpTransport:
    """One SMTP session reused across a batch; any failure drops it so the next send reconnects."""

    def __init__(self, smtp: SmtpSettings) -> None:
        self.settings = smtp
        self._conn: smtplib.SMTP | None = None

    def describe(self) -> str:
        return f"SMTP {self.settings.host}:{self.settings.port} ({self.settings.tls})"

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.user and s.tls == "none":
            self._plaintext_password_allowed()
        context = ssl.create_default_context()
        if s.tls == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.tls == "starttls":
                conn.starttls(context=context)
        if s.user:
            conn.login(s.user, s.password)
        return conn

    def _plaintext_password_allowed(self) -> None:
        """Refused before any connection (the password never leaves) unless explicitly allowed; then
        every connection says so, loudly."""
        s = self.settings
        if not s.allow_plaintext_password:
            log.error(
                "refusing to send the SMTP password to %s:%s unencrypted (SAFETYNET_SMTP_TLS=none with "
                "SAFETYNET_SMTP_USER set): use starttls or ssl, or set "
                "SAFETYNET_SMTP_ALLOW_PLAINTEXT_PASSWORD=1 for a relay on a trusted segment",
                s.host,
                s.port,
            )
            raise PlaintextPasswordRefused(f"SMTP password without TLS refused for {s.host}:{s.port}")
        log.warning(
            "SAFETYNET_SMTP_TLS=none with SAFETYNET_SMTP_USER set: the SMTP password is sent to %s:%s "
            "unencrypted (allowed by SAFETYNET_SMTP_ALLOW_PLAINTEXT_PASSWORD=1); use starttls or ssl",
            s.host,
            s.port,
        )

    def send(self, message: EmailMessage) -> None:
        try:
            if self._conn is None:
                self._conn = self._connect()
            self._conn.send_message(message)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()


class OutboxTransport:
    """Writes each message as an ``.eml`` file (RFC 5322, opens in any mail program)."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def describe(self) -> str:
        return f"outbox {self.folder}"

    def send(self, message: EmailMessage) -> None:
        private_dir(self.folder)
        name = str(message["X-SafetyNet-Message"] or "message")
        # 0600, and a reader of the outbox never sees half a message
        write_private(self.folder / f"{name}.eml", bytes(message))

    def close(self) -> None:
        pass


def outbox_dir() -> Path:
    return settings.current().outbox_dir


def configured_smtp() -> SmtpSettings | None:
    """The SMTP server of the settings (``SAFETYNET_SMTP_HOST``, ``_PORT``, ...), or None (outbox)."""
    s = settings.current()
    if not s.smtp_host:
        return None
    return SmtpSettings(
        host=s.smtp_host,
        port=s.smtp_port,
        user=s.smtp_user,
        password=s.smtp_password,
        tls=s.smtp_tls,
        timeout=s.smtp_timeout,
        allow_plaintext_password=s.smtp_allow_plaintext_password == "1",
    )


def configured_transport() -> Transport:
    """SMTP when the settings name a host, else the outbox folder (embedded default)."""
    smtp = configured_smtp()
    return SmtpTransport(smtp) if smtp else OutboxTransport(outbox_dir())


def sender_address() -> str:
    return settings.current().alert_from


def operator_address() -> str:
    return settings.current().operator_email

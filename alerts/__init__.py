"""Alerts: tell the people who can fix a problem about it, with no child's data in the message.

- ``compose``: the words of each message (source, file, delivery date, rules, counts, row numbers,
  how to fix, quarantined or not); built only from rule results and configuration.
- ``ledger``: the ``alert_problems`` / ``alert_messages`` tables: a problem is announced once per
  recipient, a failed send stays pending and is retried, a fixed re-delivery closes the problem.
- ``transport``: SMTP in production, ``.eml`` files in ``var/outbox/`` on the embedded default.
- ``notify``: one call per run: plan what to say, then send everything still pending.
"""

from alerts.notify import AlertSummary, run_alerts, run_failure_alert, send_pending
from alerts.transport import OutboxTransport, SmtpSettings, SmtpTransport, Transport, configured_transport

__all__ = [
    "AlertSummary",
    "OutboxTransport",
    "SmtpSettings",
    "SmtpTransport",
    "Transport",
    "configured_transport",
    "run_alerts",
    "run_failure_alert",
    "send_pending",
]

"""After a run: decide what to tell whom (ledger), then send everything still pending.

Alerts are derived from the warehouse, not from one run's outputs: a delivery that failed checks
and has no problem recorded gets one, whichever run or process notices it first. So a run whose
alert step was skipped, or a send that failed, is caught up by the next run; nothing is sent twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import formatdate

import sqlalchemy as sa

from alerts import compose, ledger
from alerts.transport import Transport, operator_address, sender_address
from integrations.config import SourceConfig
from warehouse import Warehouse
from warehouse.models import AlertProblem, Delivery, DqResult

log = logging.getLogger(__name__)

#: deliveries received this long ago or later are considered (older ones predate the alerts)
LOOKBACK_DAYS = 30
GOOD_STATUSES = ("pending", "loaded")
#: the warehouse lock (a name beside the sources') that sending the ledger's messages holds
SENDING_LOCK = "alerts:sending"
SENDING_LOCK_WAIT_SECONDS = 300.0


@dataclass
class AlertSummary:
    """Counts only: safe for logs and Dagster metadata."""

    queued: int = 0
    sent: int = 0
    pending: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, int | str]:
        return {
            "messages_queued": self.queued,
            "messages_sent": self.sent,
            "messages_pending": self.pending,
            "send_errors": ", ".join(f"{k} x{v}" for k, v in sorted(self.errors.items())) or "none",
        }


def _recipients(source: SourceConfig) -> tuple[str, ...]:
    # a source without contacts still has someone who must hear about it
    return source.contacts or (operator_address(),)


def _delivery_key(source: str, sha256: str) -> str:
    return f"delivery:{source}:{sha256}"


def _failed_rules(conn: sa.Connection, delivery_id: int) -> list[compose.FailedRule]:
    q = DqResult.__table__
    rows = conn.execute(
        sa.select(q).where(q.c.delivery_id == delivery_id, q.c.success.is_(False)).order_by(q.c.id)
    ).mappings()
    return [
        compose.FailedRule(
            rule_id=r["rule_id"],
            severity=r["severity"],
            description=r["description"],
            how_to_fix=r["how_to_fix"] or "",
            unexpected_count=int(r["unexpected_count"] or 0),
            row_numbers=tuple(int(n) for n in (r["row_numbers"] or [])),
            sheet_or_table=r["table_name"],
        )
        for r in rows
    ]


def plan_delivery_alerts(warehouse: Warehouse, sources: dict[str, SourceConfig]) -> int:
    """One problem per recent delivery that failed any rule; one message per contact. Returns messages."""
    d, p = Delivery.__table__, AlertProblem.__table__
    since = ledger.utcnow() - timedelta(days=LOOKBACK_DAYS)  # received_at is naive UTC
    queued = 0
    with warehouse.engine.connect() as conn:
        failed_ids = sa.select(DqResult.__table__.c.delivery_id).where(
            DqResult.__table__.c.success.is_(False)
        )
        rows = list(
            conn.execute(
                sa.select(d)
                .where(d.c.received_at >= since, d.c.id.in_(failed_ids))
                .where(
                    ~sa.exists().where(
                        p.c.delivery_id == d.c.id, p.c.category.in_(("quarantine", "warnings"))
                    )
                )
                .order_by(d.c.id)
            ).mappings()
        )
        plans = []
        for row in rows:
            source = sources.get(row["source"])
            if source is None:
                continue  # a source removed from the configuration: nobody to tell
            last_good = conn.execute(
                sa.select(d.c.file_name)
                .where(d.c.source == row["source"], d.c.id < row["id"], d.c.status == "loaded")
                .order_by(d.c.id.desc())
                .limit(1)
            ).scalar()
            facts = compose.DeliveryFacts(
                file_name=row["file_name"],
                delivered_on=row["delivered_on"],
                rows_read=int(row["rows_read"]),
                quarantined=row["status"] == "quarantined",
            )
            text = compose.delivery_alert(source, facts, _failed_rules(conn, row["id"]), last_good)
            plans.append((row, source, facts, text))
    for row, source, facts, text in plans:
        messages = [(to, text.subject, text.body) for to in _recipients(source)]
        if ledger.open_problem(
            warehouse.engine,
            _delivery_key(row["source"], row["sha256"]),
            "quarantine" if facts.quarantined else "warnings",
            row["source"],
            row["id"],
            messages,
            resolved=not facts.quarantined,  # a warning is news, not an open problem to close later
        ):
            queued += len(messages)
    return queued


def plan_resolutions(warehouse: Warehouse, sources: dict[str, SourceConfig]) -> int:
    """Close each quarantine for which a later delivery of the same source passed; short message."""
    d = Delivery.__table__
    queued = 0
    for problem in ledger.open_problems(warehouse.engine, "quarantine"):
        source = sources.get(problem["source"])
        with warehouse.engine.connect() as conn:
            bad = conn.execute(sa.select(d).where(d.c.id == problem["delivery_id"])).mappings().first()
            good = (
                conn.execute(
                    sa.select(d)
                    .where(
                        d.c.source == problem["source"],
                        d.c.id > problem["delivery_id"],
                        d.c.status.in_(GOOD_STATUSES),
                    )
                    .order_by(d.c.id)
                    .limit(1)
                )
                .mappings()
                .first()
            )
        if source is None or good is None or bad is None:
            continue
        text = compose.resolved_alert(
            source, f"{bad['file_name']} was quarantined.", good["file_name"], good["delivered_on"]
        )
        messages = [(to, text.subject, text.body) for to in _recipients(source)]
        if ledger.resolve_problem(warehouse.engine, problem["id"], good["id"], messages):
            queued += len(messages)
    return queued


def plan_overdue(warehouse: Warehouse, sources: dict[str, SourceConfig], today: date) -> int:
    """Open an overdue problem per late source (once per missed delivery); close it when one arrives."""
    from sync.status import source_status

    status = {s["source"]: s for s in source_status(sources, warehouse, today=today)["sources"]}
    open_by_source = {p["source"]: p for p in ledger.open_problems(warehouse.engine, "overdue")}
    queued = 0
    for name, source in sources.items():
        s = status[name]
        last = s["last_delivery"] or {}
        last_date = date.fromisoformat(last["delivered_on"]) if last.get("delivered_on") else None
        if s["overdue"]:
            key = f"overdue:{name}:{last_date.isoformat() if last_date else 'never'}"
            if name in open_by_source and open_by_source[name]["problem_key"] == key:
                continue
            text = compose.overdue_alert(source, last.get("file_name"), last_date, today)
            messages = [(to, text.subject, text.body) for to in _recipients(source)]
            if ledger.open_problem(warehouse.engine, key, "overdue", name, None, messages):
                queued += len(messages)
        elif name in open_by_source:
            text = compose.resolved_alert(
                source, f"the {name} extract was overdue.", last.get("file_name") or "?", last_date
            )
            messages = [(to, text.subject, text.body) for to in _recipients(source)]
            if ledger.resolve_problem(warehouse.engine, open_by_source[name]["id"], None, messages):
                queued += len(messages)
    return queued


def _email(message: ledger.PendingMessage, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = message.recipient
    msg["Subject"] = message.subject
    msg["Date"] = formatdate(usegmt=True)
    domain = sender.rpartition("@")[2] or "localhost"
    # the same ledger row always has the same Message-ID: a receiver can drop a re-sent copy
    msg["Message-ID"] = f"<safetynet-alert-{message.id}@{domain}>"
    kind, _, rest = message.problem_key.partition(":")
    source, _, detail = rest.partition(":")
    # short enough to stay one unencoded header line (a delivery's hash is cut to 12 characters)
    msg["X-SafetyNet-Alert"] = f"{kind} {source} {detail[:12]} {message.kind}".replace("  ", " ")
    msg["X-SafetyNet-Message"] = f"alert-{message.id:06d}"
    # plain 7-bit text where possible, so the message reads as is in any mail program or .eml viewer
    msg.set_content(message.body, cte="7bit" if message.body.isascii() else "quoted-printable")
    return msg


def send_pending(warehouse: Warehouse, transport: Transport, sender: str | None = None) -> AlertSummary:
    """Try every pending message once. Never raises for a transport failure: the message stays
    pending (attempts + 1, error type kept) and the next run tries again."""
    sender = sender or sender_address()
    summary = AlertSummary()
    errors: Counter[str] = Counter()
    try:
        # one sender at a time: two runs at once would both read a message as pending and send it twice
        with warehouse.source_lock(SENDING_LOCK, timeout=SENDING_LOCK_WAIT_SECONDS):
            for message in ledger.pending(warehouse.engine):
                try:
                    transport.send(_email(message, sender))
                except Exception as exc:
                    errors[type(exc).__name__] += 1
                    ledger.mark_failed(warehouse.engine, message.id, type(exc).__name__)
                    summary.pending += 1
                else:
                    ledger.mark_sent(warehouse.engine, message.id)
                    summary.sent += 1
    finally:
        transport.close()
    summary.errors = dict(errors)
    if errors:
        log.warning("alerts: %d sent, %d left pending (%s)", summary.sent, summary.pending, dict(errors))
    return summary


def run_alerts(
    warehouse: Warehouse,
    sources: dict[str, SourceConfig],
    transport: Transport,
    today: date | None = None,
    sender: str | None = None,
    overdue: bool = True,
) -> AlertSummary:
    """Plan (deliveries that failed rules, fixed re-deliveries, overdue sources), then send."""
    today = today or date.today()
    queued = plan_delivery_alerts(warehouse, sources)
    queued += plan_resolutions(warehouse, sources)
    if overdue:
        queued += plan_overdue(warehouse, sources, today)
    summary = send_pending(warehouse, transport, sender)
    summary.queued = queued
    return summary


def run_failure_alert(
    warehouse: Warehouse,
    transport: Transport,
    job: str,
    run_id: str,
    steps: list[tuple[str, str]],
    operator: str | None = None,
    sender: str | None = None,
) -> AlertSummary:
    """Tell the operator a run failed (once per run), then send what is pending."""
    text = compose.run_failure_alert_text(job, run_id, steps)
    queued = ledger.open_problem(
        warehouse.engine,
        f"run_failure:{run_id}",
        "run_failure",
        None,
        None,
        [(operator or operator_address(), text.subject, text.body)],
        resolved=True,
    )
    summary = send_pending(warehouse, transport, sender)
    summary.queued = int(queued)
    return summary

"""The append-only audit log: every login, view of a client or review item, decision and undo.

Entries name the user, time, action, subject (an item id, a client id) and outcome, never a name,
a date of birth or text a user typed. The table refuses UPDATE and DELETE (migration 0003_review).
"""

from __future__ import annotations

import getpass
import io
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from outputs.cells import SafeCsvWriter
from warehouse.db import utcnow, write_transaction
from warehouse.models import AuditEntry

AUDIT = AuditEntry.__table__
EXPORT_COLUMNS = (
    "id",
    "at",
    "username",
    "action",
    "subject_type",
    "subject_id",
    "outcome",
    "detail",
    "remote_addr",
)


def record(
    conn: sa.Connection,
    *,
    username: str | None,
    action: str,
    outcome: str = "ok",
    subject_type: str | None = None,
    subject_id: object = None,
    clients: Iterable[str] = (),
    detail: str | None = None,
    remote_addr: str | None = None,
    at: datetime | None = None,
) -> None:
    ids = sorted({str(c) for c in clients if c is not None})
    conn.execute(
        sa.insert(AUDIT).values(
            at=at or utcnow(),
            username=username,
            action=action,
            subject_type=subject_type,
            subject_id=None if subject_id is None else str(subject_id),
            client_ids=f" {' '.join(ids)} " if ids else None,
            outcome=outcome,
            detail=detail,
            remote_addr=remote_addr,
        )
    )


def record_command(
    engine: sa.Engine,
    *,
    action: str,
    outcome: str = "ok",
    subject_type: str | None = None,
    subject_id: object = None,
    clients: Iterable[str] = (),
    detail: str | None = None,
) -> None:
    """One entry for a ``safetynet`` command run outside the web app, in its own transaction: the
    operating-system account that ran it stands for the user, "command line" for the address."""
    with write_transaction(engine) as conn:
        record(
            conn,
            username=f"cli:{getpass.getuser()}",
            action=action,
            outcome=outcome,
            subject_type=subject_type,
            subject_id=subject_id,
            clients=clients,
            detail=detail,
            remote_addr="command line",
        )


def entries(
    conn: sa.Connection,
    *,
    action: str | None = None,
    username: str | None = None,
    client_id: str | None = None,
    limit: int = 200,
    before_id: int | None = None,
) -> list[dict]:
    """Newest first."""
    stmt = sa.select(AUDIT).order_by(AUDIT.c.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(AUDIT.c.action == action)
    if username:
        stmt = stmt.where(AUDIT.c.username == username)
    if client_id:
        stmt = stmt.where(AUDIT.c.client_ids.like(f"% {_escape(client_id)} %", escape="\\"))
    if before_id:
        stmt = stmt.where(AUDIT.c.id < before_id)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def export_client_csv(conn: sa.Connection, client_id: str) -> str:
    """Every entry that showed or changed this client's data, oldest first, as CSV."""
    rows = conn.execute(
        sa.select(*[AUDIT.c[c] for c in EXPORT_COLUMNS])
        .where(AUDIT.c.client_ids.like(f"% {_escape(client_id)} %", escape="\\"))
        .order_by(AUDIT.c.id)
    ).all()
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

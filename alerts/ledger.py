"""The alert ledger in the warehouse: ``alert_problems`` and ``alert_messages``.

A problem is keyed so re-runs recognise it (unique ``problem_key``); a message is unique per
(problem, kind, recipient). Both inserts tolerate a concurrent run having inserted the same row
first, so two runs at once still send one message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from warehouse.db import utcnow, write_transaction
from warehouse.models import AlertMessage, AlertProblem

P = AlertProblem.__table__
M = AlertMessage.__table__


@dataclass(frozen=True)
class PendingMessage:
    id: int
    problem_key: str
    kind: str
    recipient: str
    subject: str
    body: str
    attempts: int


def open_problem(
    engine: sa.Engine,
    problem_key: str,
    category: str,
    source: str | None,
    delivery_id: int | None,
    messages: list[tuple[str, str, str]],
    resolved: bool = False,
) -> bool:
    """Record a new problem and one pending message per (recipient, subject, body); False if known."""
    now = utcnow()
    try:
        with write_transaction(engine) as conn:
            problem_id = conn.execute(
                sa.insert(P)
                .values(
                    problem_key=problem_key,
                    category=category,
                    source=source,
                    delivery_id=delivery_id,
                    opened_at=now,
                    resolved_at=now if resolved else None,
                )
                .returning(P.c.id)
            ).scalar_one()
            _add_messages(conn, problem_id, "problem", messages, now)
    except IntegrityError:
        return False  # another run recorded it first: it is announced once, by that run
    return True


def resolve_problem(
    engine: sa.Engine, problem_id: int, by_delivery_id: int | None, messages: list[tuple[str, str, str]]
) -> bool:
    """Close an open problem and queue its "resolved" messages; False when already closed."""
    now = utcnow()
    try:
        with write_transaction(engine) as conn:
            closed = conn.execute(
                sa.update(P)
                .where(P.c.id == problem_id, P.c.resolved_at.is_(None))
                .values(resolved_at=now, resolved_by_delivery_id=by_delivery_id)
            ).rowcount
            if not closed:
                return False
            _add_messages(conn, problem_id, "resolved", messages, now)
    except IntegrityError:
        return False
    return True


def _add_messages(
    conn: sa.Connection, problem_id: int, kind: str, messages: list[tuple[str, str, str]], now: datetime
) -> None:
    rows = [
        {
            "problem_id": problem_id,
            "kind": kind,
            "recipient": recipient,
            "subject": subject,
            "body": body,
            "status": "pending",
            "attempts": 0,
            "last_error": None,
            "created_at": now,
            "sent_at": None,
        }
        for recipient, subject, body in dict.fromkeys(messages)  # a contact listed twice gets one
    ]
    if rows:
        conn.execute(sa.insert(M), rows)


def open_problems(engine: sa.Engine, category: str) -> list[sa.RowMapping]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(P).where(P.c.category == category, P.c.resolved_at.is_(None)).order_by(P.c.id)
            ).mappings()
        )


def pending(engine: sa.Engine) -> list[PendingMessage]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(M, P.c.problem_key)
            .join(P, P.c.id == M.c.problem_id)
            .where(M.c.status == "pending")
            .order_by(M.c.id)
        ).mappings()
        return [
            PendingMessage(
                id=r["id"],
                problem_key=r["problem_key"],
                kind=r["kind"],
                recipient=r["recipient"],
                subject=r["subject"],
                body=r["body"],
                attempts=r["attempts"],
            )
            for r in rows
        ]


def mark_sent(engine: sa.Engine, message_id: int) -> None:
    with write_transaction(engine) as conn:
        conn.execute(
            sa.update(M)
            .where(M.c.id == message_id)
            .values(status="sent", sent_at=utcnow(), attempts=M.c.attempts + 1)
        )


def mark_failed(engine: sa.Engine, message_id: int, error_type: str) -> None:
    with write_transaction(engine) as conn:
        conn.execute(
            sa.update(M).where(M.c.id == message_id).values(attempts=M.c.attempts + 1, last_error=error_type)
        )


def messages_frame(engine: sa.Engine):
    """Every message with its problem (for tests, the demo summary and the operator)."""
    import pandas as pd

    with engine.connect() as conn:
        return pd.read_sql(
            sa.select(M, P.c.problem_key, P.c.category, P.c.source).join(P, P.c.id == M.c.problem_id),
            conn,
        )

"""The review queue: open items, youth on the next meeting's agenda first, then by how much a
decision would change a profile (how many facts the agency row carries), then by match probability.

"The next meeting" is the earliest ``next_meeting`` date on or after today among active clients of
the client list (the ``safetynet_clients`` kind's ``next_meeting`` column, delivered by the
coordinator with the list); a youth is on its agenda when that is their ``next_meeting``. An item is
on the agenda when any of its candidate clients is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from warehouse.loader import utcnow
from warehouse.models import FACT_TABLES, Client, MatchLink, ReviewItem

ITEMS = ReviewItem.__table__
LINKS = MatchLink.__table__
CLIENTS = Client.__table__


@dataclass(frozen=True)
class QueueFilter:
    source: str | None = None
    received_from: date | None = None
    received_to: date | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        clauses = [ITEMS.c.status == "open"]
        if self.source:
            clauses.append(ITEMS.c.source == self.source)
        if self.received_from:
            clauses.append(ITEMS.c.opened_at >= datetime.combine(self.received_from, datetime.min.time()))
        if self.received_to:
            end = datetime.combine(self.received_to + timedelta(days=1), datetime.min.time())
            clauses.append(ITEMS.c.opened_at < end)
        return clauses


@dataclass
class QueuePage:
    rows: list[dict]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)
    next_meeting: date | None = None


def next_meeting(conn: sa.Connection, today: date | None = None) -> date | None:
    today = today or utcnow().date()
    return conn.execute(
        sa.select(sa.func.min(CLIENTS.c.next_meeting)).where(
            CLIENTS.c.active, CLIENTS.c.next_meeting >= today
        )
    ).scalar_one_or_none()


def _facts_count() -> sa.ColumnElement[int]:
    """Fact rows the item's agency row carries, over every fact table (indexed by source, record_id)."""
    parts = [
        sa.select(sa.func.count())
        .where(t.c.source == ITEMS.c.source, t.c.record_id == ITEMS.c.record_id)
        .correlate(ITEMS)
        .scalar_subquery()
        for t in FACT_TABLES.values()
    ]
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def _on_agenda(meeting: date | None) -> sa.ColumnElement[int]:
    if meeting is None:
        return sa.literal(0)
    linked = (
        sa.select(LINKS.c.id)
        .join(CLIENTS, CLIENTS.c.client_id == LINKS.c.client_id)
        .where(
            LINKS.c.source == ITEMS.c.source,
            LINKS.c.record_id == ITEMS.c.record_id,
            CLIENTS.c.next_meeting == meeting,
        )
        .correlate(ITEMS)
    )
    return sa.case((sa.exists(linked), 1), else_=0)


def _candidates() -> sa.ColumnElement[int]:
    return (
        sa.select(sa.func.count())
        .where(LINKS.c.source == ITEMS.c.source, LINKS.c.record_id == ITEMS.c.record_id)
        .correlate(ITEMS)
        .scalar_subquery()
    )


def _ordered(conn: sa.Connection, flt: QueueFilter, meeting: date | None) -> sa.Select:
    agenda = _on_agenda(meeting).label("agenda")
    facts = _facts_count().label("facts")
    return (
        sa.select(
            ITEMS.c.id,
            ITEMS.c.source,
            ITEMS.c.best_score,
            ITEMS.c.opened_at,
            agenda,
            facts,
            _candidates().label("candidates"),
        )
        .where(*flt.where())
        .order_by(agenda.desc(), facts.desc(), ITEMS.c.best_score.desc(), ITEMS.c.id)
    )


def queue_page(conn: sa.Connection, flt: QueueFilter, page: int = 1, page_size: int = 50) -> QueuePage:
    meeting = next_meeting(conn)
    counts = dict(
        conn.execute(
            sa.select(ITEMS.c.source, sa.func.count())
            .where(ITEMS.c.status == "open")
            .group_by(ITEMS.c.source)
            .order_by(ITEMS.c.source)
        ).all()
    )
    total = conn.execute(sa.select(sa.func.count()).select_from(ITEMS).where(*flt.where())).scalar_one()
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = [
        dict(r)
        for r in conn.execute(
            _ordered(conn, flt, meeting).limit(page_size).offset((page - 1) * page_size)
        ).mappings()
    ]
    return QueuePage(rows, total, page, pages, counts, meeting)


def next_item(conn: sa.Connection, after: int | None = None, skipped: tuple[int, ...] = ()) -> int | None:
    """The first open item in queue order other than ``after`` and this session's skipped ones;
    skipped items come back once nothing else is left."""
    meeting = next_meeting(conn)
    stmt = _ordered(conn, QueueFilter(), meeting)
    excluded = [i for i in (after, *skipped) if i is not None]
    first = conn.execute(
        stmt.where(ITEMS.c.id.not_in(excluded)).limit(1) if excluded else stmt.limit(1)
    ).first()
    if first is not None:
        return first.id
    for item_id in skipped:  # oldest skip first
        if (
            item_id != after
            and conn.execute(
                sa.select(ITEMS.c.id).where(ITEMS.c.id == item_id, ITEMS.c.status == "open")
            ).first()
        ):
            return item_id
    return None

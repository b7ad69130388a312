"""The review queue: open items, youth on the next meeting's agenda first, then by how much a
decision would change a profile (how many facts the agency row carries), then by match probability.

"The next meeting" is the earliest ``next_meeting`` date on or after today among active clients of
the client list (the ``safetynet_clients`` kind's ``next_meeting`` column, delivered by the
coordinator with the list); a youth is on its agenda when that is their ``next_meeting``. An item is
on the agenda when any of its candidate clients is.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from warehouse.db import utcnow
from warehouse.frames import chunks
from warehouse.models import FACT_TABLES, Client, Delivery, MatchLink, ReviewItem, ReviewUndo

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


def _ordered(flt: QueueFilter, meeting: date | None) -> sa.Select:
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


class QueueOrder:
    """The queue's order, computed once and reused until the warehouse changes under it.

    Sorting every open item by agenda and size takes a few hundred milliseconds at 10,000 items, and
    the order only changes when a delivery loads, the client list changes, a new item opens, a
    decision is undone or the day turns: a cheap fingerprint of those is checked on every use.
    Decisions made meanwhile only close items, so the current open set is intersected with the cached
    order (and the rows shown are refreshed), instead of sorting again. One per app; thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._rows: list[dict] = []
        self._meeting: date | None = None

    @staticmethod
    def _fingerprint(conn: sa.Connection) -> tuple:
        d, undos = Delivery.__table__, ReviewUndo.__table__
        loads = conn.execute(sa.select(sa.func.max(d.c.id), sa.func.max(d.c.loaded_at))).one()
        newest_item = conn.execute(sa.select(sa.func.max(ITEMS.c.id))).scalar_one()
        # an undo is the one way an old, closed item opens again between loads
        undone = conn.execute(sa.select(sa.func.count()).select_from(undos)).scalar_one()
        return (*loads, newest_item, undone, utcnow().date())

    def ordered(self, conn: sa.Connection) -> tuple[list[dict], date | None]:
        """Every item that was open when the order was computed, in queue order (id, source,
        opened_at; some may be closed since), and the next meeting's date."""
        key = self._fingerprint(conn)
        with self._lock:
            if key != self._key:
                self._meeting = next_meeting(conn)
                stmt = _ordered(QueueFilter(), self._meeting).with_only_columns(
                    ITEMS.c.id, ITEMS.c.source, ITEMS.c.opened_at
                )
                self._rows = [dict(r) for r in conn.execute(stmt).mappings()]
                self._key = key
            return self._rows, self._meeting


def open_ids(conn: sa.Connection) -> set[int]:
    """Ids of the open items, through the driver's cursor (10,000 rows without per-row objects)."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute("SELECT id FROM review_items WHERE status = 'open'")
        return {i for (i,) in cursor.fetchall()}
    finally:
        cursor.close()


def _matches(row: dict, flt: QueueFilter) -> bool:
    if flt.source and row["source"] != flt.source:
        return False
    day = row["opened_at"].date()
    if flt.received_from and day < flt.received_from:
        return False
    return not (flt.received_to and day > flt.received_to)


def queue_page(
    conn: sa.Connection, order: QueueOrder, flt: QueueFilter, page: int = 1, page_size: int = 50
) -> QueuePage:
    cached, meeting = order.ordered(conn)
    now_open = open_ids(conn)
    ordered = [r for r in cached if r["id"] in now_open]
    counts: dict[str, int] = {}
    for r in ordered:
        counts[r["source"]] = counts.get(r["source"], 0) + 1
    selected = [r["id"] for r in ordered if _matches(r, flt)]
    total = len(selected)
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    shown = selected[(page - 1) * page_size : page * page_size]
    # the rows shown are read fresh (a decision may have changed an item's candidates or best score)
    fresh = (
        {
            r["id"]: dict(r)
            for r in conn.execute(_ordered(QueueFilter(), meeting).where(ITEMS.c.id.in_(shown))).mappings()
        }
        if shown
        else {}
    )
    rows = [fresh[i] for i in shown if i in fresh]
    return QueuePage(rows, total, page, pages, dict(sorted(counts.items())), meeting)


def next_item(
    conn: sa.Connection, order: QueueOrder, after: int | None = None, skipped: tuple[int, ...] = ()
) -> int | None:
    """The first open item in queue order other than ``after`` and this session's skipped ones;
    skipped items come back once nothing else is left."""
    cached, _ = order.ordered(conn)
    excluded = {after, *skipped}
    candidates = [r["id"] for r in cached if r["id"] not in excluded]
    for batch in chunks(candidates, 100):  # the first open one, without reading every status
        still_open = set(
            conn.execute(
                sa.select(ITEMS.c.id).where(ITEMS.c.id.in_(batch), ITEMS.c.status == "open")
            ).scalars()
        )
        for item_id in batch:
            if item_id in still_open:
                return item_id
    back = [i for i in skipped if i != after]
    still_open = (
        set(
            conn.execute(
                sa.select(ITEMS.c.id).where(ITEMS.c.id.in_(back), ITEMS.c.status == "open")
            ).scalars()
        )
        if back
        else set()
    )
    return next((i for i in back if i in still_open), None)

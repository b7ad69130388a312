"""The review queue: open items, youth on the next meeting's agenda first, then by how much a
decision would change a profile (how many facts the agency row carries), then by match probability.
Rows of one youth are one item (review/grouping.py), listed where its first row would be, with its
reasons in words (matchers/reasons.py); the queue filters by source, date received and reason.

"The next meeting" is the earliest ``next_meeting`` date on or after today among active clients of
the client list (the ``safetynet_clients`` kind's ``next_meeting`` column, delivered by the
coordinator with the list); a youth is on its agenda when that is their ``next_meeting``. An item is
on the agenda when any of its candidate clients is.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from matchers.reasons import REASONS, reason, row_reasons
from review.grouping import partition
from warehouse.db import utcnow
from warehouse.frames import chunks
from warehouse.models import (
    FACT_TABLES,
    Client,
    Delivery,
    MatchLink,
    ReviewDecision,
    ReviewItem,
    ReviewUndo,
    SourcePerson,
)

ITEMS = ReviewItem.__table__
LINKS = MatchLink.__table__
CLIENTS = Client.__table__
PERSONS = SourcePerson.__table__


@dataclass(frozen=True)
class QueueFilter:
    source: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    #: a reason code (matchers/reasons.py): items with that reason among theirs
    reason: str | None = None

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
    #: one row per item (a youth's rows together): id (the item to open), rows, sources, agenda,
    #: facts, candidates, best_score, opened_at, reasons (matchers.reasons.Reason, main first)
    rows: list[dict]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)
    next_meeting: date | None = None
    #: reason code -> items with that reason (for the filter)
    reasons: dict[str, int] = field(default_factory=dict)


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


@dataclass
class QueueState:
    """The cached queue: every item open when it was computed, in order, and its youth group."""

    rows: list[dict] = field(default_factory=list)
    meeting: date | None = None
    #: item id -> its group's key (review/grouping.py)
    group_of: dict[int, int] = field(default_factory=dict)
    #: item id -> reason codes of its row (best candidate's pair, plus two_clients)
    reasons: dict[int, tuple[str, ...]] = field(default_factory=dict)
    #: the newest review decision the reasons have seen
    decisions_seen: int = 0
    #: group key -> its items' rows in queue order, groups in the order of their first item; item
    #: id -> its place in ``rows`` (both derived from the above, so a page need not regroup)
    members: dict[int, list[dict]] = field(default_factory=dict)
    position: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for k, r in enumerate(self.rows):
            self.position[r["id"]] = k
            self.members.setdefault(self.group_of.get(r["id"], r["id"]), []).append(r)


class QueueOrder:
    """The queue's order and grouping, computed once and reused until the warehouse changes under it.

    Sorting every open item by agenda and size takes a few hundred milliseconds at 10,000 items, and
    so does grouping them by youth; both only change when a delivery loads, the client list
    changes, a new item opens, a decision is undone or the day turns: a cheap fingerprint of those
    is checked on every use. Decisions made meanwhile only close items (or rule out some of an
    item's candidates), so the current open set is intersected with the cached order and the
    reasons of the items decided since are read again, instead of starting over. One per app;
    thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._state = QueueState()

    @staticmethod
    def _fingerprint(conn: sa.Connection) -> tuple:
        d, undos = Delivery.__table__, ReviewUndo.__table__
        loads = conn.execute(sa.select(sa.func.max(d.c.id), sa.func.max(d.c.loaded_at))).one()
        newest_item = conn.execute(sa.select(sa.func.max(ITEMS.c.id))).scalar_one()
        # an undo is the one way an old, closed item opens again between loads
        undone = conn.execute(sa.select(sa.func.count()).select_from(undos)).scalar_one()
        return (*loads, newest_item, undone, utcnow().date())

    def state(self, conn: sa.Connection) -> QueueState:
        """The cached queue, recomputed when the fingerprint changed, reasons brought up to date."""
        key = self._fingerprint(conn)
        with self._lock:
            if key != self._key:
                meeting = next_meeting(conn)
                stmt = _ordered(QueueFilter(), meeting).with_only_columns(
                    ITEMS.c.id, ITEMS.c.source, ITEMS.c.opened_at
                )
                rows = [dict(r) for r in conn.execute(stmt).mappings()]
                ids = [r["id"] for r in rows]
                identity = _identities(conn, ids)
                self._state = QueueState(
                    rows=rows,
                    meeting=meeting,
                    group_of=partition([(i, identity.get(i)) for i in ids]),
                    reasons=item_reasons(conn, ids),
                    decisions_seen=_newest_decision(conn),
                )
                self._key = key
            else:
                self._catch_up(conn)
            return self._state

    def ordered(self, conn: sa.Connection) -> tuple[list[dict], date | None]:
        """Every item that was open when the order was computed, in queue order (id, source,
        opened_at; some may be closed since), and the next meeting's date."""
        state = self.state(conn)
        return state.rows, state.meeting

    def _catch_up(self, conn: sa.Connection) -> None:
        """Reasons of the items decided since they were read (a ruled-out candidate changes them)."""
        state = self._state
        newest = _newest_decision(conn)
        if newest <= state.decisions_seen:
            return
        rd = ReviewDecision.__table__
        touched = list(
            conn.execute(
                sa.select(ITEMS.c.id)
                .join(rd, sa.and_(rd.c.source == ITEMS.c.source, rd.c.record_id == ITEMS.c.record_id))
                .where(rd.c.id > state.decisions_seen, ITEMS.c.status == "open")
                .distinct()
            ).scalars()
        )
        state.reasons.update(item_reasons(conn, touched))
        state.decisions_seen = newest


def _same_row(table: sa.Table) -> sa.ColumnElement[bool]:
    return sa.and_(table.c.source == ITEMS.c.source, table.c.record_id == ITEMS.c.record_id)


def _newest_decision(conn: sa.Connection) -> int:
    rd = ReviewDecision.__table__
    return int(conn.execute(sa.select(sa.func.max(rd.c.id))).scalar_one() or 0)


def _identities(conn: sa.Connection, item_ids: list[int]) -> dict[int, str]:
    """item id -> its row's identity tokens (``source_persons.identity``), where known."""
    out: dict[int, str] = {}
    for batch in chunks(item_ids, 2000):
        out.update(
            conn.execute(
                sa.select(ITEMS.c.id, PERSONS.c.identity)
                .join(
                    PERSONS,
                    sa.and_(PERSONS.c.source == ITEMS.c.source, PERSONS.c.record_id == ITEMS.c.record_id),
                )
                .where(ITEMS.c.id.in_(batch), PERSONS.c.identity.is_not(None))
            ).all()
        )
    return out


def item_reasons(conn: sa.Connection, item_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """item id -> reason codes of its row: its candidates' scores and explanations read through
    ``matchers.reasons.row_reasons`` (each distinct explanation read once)."""
    candidates: dict[int, list[tuple[float | None, str | None]]] = {i: [] for i in item_ids}
    for batch in chunks(item_ids, 2000):
        for item_id, score, explanation in conn.execute(
            sa.select(ITEMS.c.id, LINKS.c.score, LINKS.c.explanation)
            .join(LINKS, _same_row(LINKS))
            .where(ITEMS.c.id.in_(batch))
        ):
            candidates[item_id].append((score, explanation))
    return {i: tuple(r.code for r in row_reasons(c)) for i, c in candidates.items()}


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


def _groups(state: QueueState, now_open: set[int]) -> list[list[dict]]:
    """Each group's open items' cached rows, groups in queue order (a group's place is its first
    open item's). Most groups are one row: those cost a set lookup."""
    out: list[list[dict]] = []
    moved = False
    for members in state.members.values():
        if len(members) == 1:
            if members[0]["id"] in now_open:
                out.append(members)
            continue
        still = [m for m in members if m["id"] in now_open]
        if still:
            moved = moved or still[0] is not members[0]
            out.append(still)
    if moved:  # a group whose first item was decided alone moves to its next one's place
        out.sort(key=lambda g: state.position[g[0]["id"]])
    return out


def queue_page(
    conn: sa.Connection, order: QueueOrder, flt: QueueFilter, page: int = 1, page_size: int = 50
) -> QueuePage:
    state = order.state(conn)
    counts: dict[str, int] = {}
    reason_counts: dict[str, int] = {}
    selected: list[list[dict]] = []
    reasons = state.reasons
    filtered = bool(flt.source or flt.received_from or flt.received_to)
    for members in _groups(state, open_ids(conn)):
        if len(members) == 1:  # the usual case, without the sets
            sources: Iterable[str] = (members[0]["source"],)
            codes: Collection[str] = reasons.get(members[0]["id"], ())
        else:
            sources = {m["source"] for m in members}
            codes = {c for m in members for c in reasons.get(m["id"], ())}
        for source in sources:
            counts[source] = counts.get(source, 0) + 1
        for code in codes:
            reason_counts[code] = reason_counts.get(code, 0) + 1
        if flt.reason and flt.reason not in codes:
            continue
        if not filtered or any(_matches(m, flt) for m in members):
            selected.append(members)
    total = len(selected)
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    shown = selected[(page - 1) * page_size : page * page_size]
    # the rows shown are read fresh (a decision may have changed an item's candidates or best score)
    wanted = [m["id"] for members in shown for m in members]
    fresh = (
        {
            r["id"]: dict(r)
            for r in conn.execute(
                _ordered(QueueFilter(), state.meeting).where(ITEMS.c.id.in_(wanted))
            ).mappings()
        }
        if wanted
        else {}
    )
    rows = [row for members in shown if (row := _group_row(members, fresh, state))]
    order_of = {code: i for i, code in enumerate(REASONS)}
    reasons = dict(sorted(reason_counts.items(), key=lambda kv: order_of.get(kv[0], len(order_of))))
    return QueuePage(rows, total, page, pages, dict(sorted(counts.items())), state.meeting, reasons)


def _group_row(members: list[dict], fresh: dict[int, dict], state: QueueState) -> dict | None:
    """One queue row for a youth's open items (read fresh): the first item opens the group."""
    items = [fresh[m["id"]] for m in members if m["id"] in fresh]
    if not items:
        return None
    codes: list[str] = []
    for item in items:
        codes += [c for c in state.reasons.get(item["id"], ()) if c not in codes]
    scores = [i["best_score"] for i in items if i["best_score"] is not None]
    return {
        "id": items[0]["id"],
        "rows": len(items),
        "source": items[0]["source"],
        "sources": sorted({i["source"] for i in items}),
        "opened_at": min(i["opened_at"] for i in items),
        "agenda": max(i["agenda"] for i in items),
        "facts": sum(i["facts"] for i in items),
        "candidates": max(i["candidates"] for i in items),
        "best_score": max(scores) if scores else None,
        "reasons": [reason(c) for c in codes],
    }


def group_items(conn: sa.Connection, order: QueueOrder, item_id: int) -> list[int]:
    """The open items of ``item_id``'s youth, in queue order (the item itself if it is not open
    or stands alone)."""
    state = order.state(conn)
    key = state.group_of.get(item_id)
    if key is None:
        return [item_id]
    members = [r["id"] for r in state.members.get(key, ())]
    if len(members) > 1:
        still = set(
            conn.execute(
                sa.select(ITEMS.c.id).where(ITEMS.c.id.in_(members), ITEMS.c.status == "open")
            ).scalars()
        )
        members = [m for m in members if m in still or m == item_id]
    return members or [item_id]


def next_item(
    conn: sa.Connection, order: QueueOrder, after: int | None = None, skipped: tuple[int, ...] = ()
) -> int | None:
    """The first open item in queue order whose youth is not ``after``'s nor one this session
    skipped; skipped ones come back once nothing else is left."""
    state = order.state(conn)
    key = state.group_of.get
    excluded = {key(i, i) for i in (after, *skipped) if i is not None}
    candidates = [r["id"] for r in state.rows if key(r["id"], r["id"]) not in excluded]
    for batch in chunks(candidates, 100):  # the first open one, without reading every status
        still_open = set(
            conn.execute(
                sa.select(ITEMS.c.id).where(ITEMS.c.id.in_(batch), ITEMS.c.status == "open")
            ).scalars()
        )
        for item_id in batch:
            if item_id in still_open:
                return item_id
    after_key = key(after, after) if after is not None else None
    back = [r["id"] for r in state.rows if key(r["id"], r["id"]) in excluded - {after_key}]
    back += [i for i in skipped if i not in back and key(i, i) != after_key]
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

"""Deciding a review item: the rows of one youth at once (issue 17). The review app's views and
``benchmarks/review_workload.py``'s coordinator both decide through here.

An item is a youth's open rows (review/grouping.py, through the app's cached ``QueueOrder``). The
coordinator sees them side by side and decides once, for all of them or for the rows she ticks
(an item that mixed two youths is split that way). "Same person" also teaches the client the other
names the rows state (matchers/taught_names.py). The decision is one ``warehouse.youth`` decision:
later rows of the same youth are answered by it, and undo takes all of it back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from matchers.taught_names import names_taught
from review.profile import child_values
from review.queue import QueueOrder, group_items
from warehouse.errors import WarehouseError
from warehouse.learned_names import active_names
from warehouse.models import Client, MatchLink, ReviewItem, SourcePerson
from warehouse.youth import IS_CLIENT, LearnedName, YouthOutcome, decide_youth

ITEMS = ReviewItem.__table__
LINKS = MatchLink.__table__
PERSONS = SourcePerson.__table__
CLIENTS = Client.__table__
DECISIONS = ("same_person", "not_this_person", "link_other_client", "none_of_these")


@dataclass(frozen=True)
class GroupRow:
    item_id: int
    source: str
    record_id: str
    status: str


@dataclass(frozen=True)
class ItemGroup:
    """An item as the coordinator decides it: its rows and their candidate clients (best first)."""

    item_id: int
    rows: tuple[GroupRow, ...]
    clients: tuple[str, ...]


_ORDER = QueueOrder()


def item_group(conn: sa.Connection, item_id: int, order: QueueOrder | None = None) -> ItemGroup:
    """The open rows of ``item_id``'s youth (the item alone when it is not open) and the candidate
    clients of those rows, best score first."""
    ids = group_items(conn, order or _ORDER, item_id)
    rows = [
        GroupRow(r.id, r.source, r.record_id, r.status)
        for r in conn.execute(
            sa.select(ITEMS.c.id, ITEMS.c.source, ITEMS.c.record_id, ITEMS.c.status).where(
                ITEMS.c.id.in_(ids)
            )
        )
    ]
    rows.sort(key=lambda r: ids.index(r.item_id))
    if not rows:
        raise WarehouseError("unknown review item")
    scores: dict[str, float] = {}
    for row in rows:
        for client, score in conn.execute(
            sa.select(LINKS.c.client_id, LINKS.c.score).where(
                LINKS.c.source == row.source, LINKS.c.record_id == row.record_id
            )
        ):
            scores[client] = max(scores.get(client, -1.0), score if score is not None else -1.0)
    clients = tuple(sorted(scores, key=lambda c: (-scores[c], c)))
    return ItemGroup(item_id, tuple(rows), clients)


def decide_item(
    engine: sa.Engine,
    item_id: int,
    *,
    client_id: str | None,
    decision: str,
    decided_by: str,
    rows: Sequence[int] | None = None,
    note: str | None = None,
    order: QueueOrder | None = None,
    also: Callable[[sa.Connection, YouthOutcome], None] | None = None,
) -> YouthOutcome:
    """Decide ``item_id``'s youth: every open row of the item, or the ``rows`` (item ids) ticked.

    Refused (``WarehouseError``) when the item is no longer open, a ticked row is not one of its
    open rows (the item changed since it was shown), or the decision needs a client and has none.
    """
    if decision not in DECISIONS:
        raise WarehouseError("unknown decision")
    with engine.connect() as conn:
        group = item_group(conn, item_id, order)
        open_rows = [r for r in group.rows if r.status == "open"]
        if not open_rows:
            raise WarehouseError("this item was already decided")
        if rows is not None:
            chosen = [r for r in open_rows if r.item_id in set(rows)]
            if len(chosen) != len(set(rows)):
                raise WarehouseError("the item changed since it was shown; look at it again")
        else:
            chosen = open_rows
        if not chosen:
            raise WarehouseError("tick at least one row")
        learned = _taught(conn, client_id, chosen) if decision in IS_CLIENT and client_id else []
    return decide_youth(
        engine,
        rows=[(r.source, r.record_id) for r in chosen],
        client_id=client_id,
        decision=decision,
        decided_by=decided_by,
        note=note,
        item_id=item_id,
        learned=learned,
        also=also,
    )


def _taught(conn: sa.Connection, client_id: str, rows: list[GroupRow]) -> list[LearnedName]:
    """Names the rows state for the client that she is not known by yet (her aliases and learned
    names included)."""
    client = conn.execute(sa.select(CLIENTS).where(CLIENTS.c.client_id == client_id)).mappings().first()
    if client is None:
        return []
    person_fields = ("first_name", "middle_name", "last_name", "aliases", "dob", "sex")
    known = child_values(conn, client_id)["aliases"]
    known += [n["name"] for n in active_names(conn, [client_id]).get(client_id, [])]
    client_person = {f: client.get(f) for f in person_fields if f != "aliases"}
    client_person["aliases"] = "|".join(known) or None
    people = []
    for r in rows:
        found = (
            conn.execute(
                sa.select(*[PERSONS.c[f] for f in person_fields]).where(
                    PERSONS.c.source == r.source, PERSONS.c.record_id == r.record_id
                )
            )
            .mappings()
            .first()
        )
        people.append((r, dict(found) if found else None))
    stated = [p for _, p in people if p is not None]
    rows_of = [r for r, p in people if p is not None]
    return [
        LearnedName(t.name, t.kind, rows_of[t.row].source, rows_of[t.row].record_id)
        for t in names_taught(client_person, stated)
    ]

"""Review items (``review_items``): one per agency record the coordinator is asked about.

Opened by a load for a record whose best remaining link is ``review``; closed (never deleted) when a
person settles it; deleted when a later load no longer needs it.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from warehouse.decisions import decision_state
from warehouse.frames import chunks
from warehouse.models import MatchLink, ReviewItem


def write_review_items(
    conn: sa.Connection,
    source: str,
    final: pd.DataFrame,
    decisions: pd.DataFrame,
    record_ids: set[str],
    delivery_id: int,
    now: datetime,
) -> tuple[int, int]:
    """Open one item per undecided record whose best remaining link is ``review``.

    Returns (items opened now, items open for this delivery's records after the load).
    """
    ri = ReviewItem.__table__
    linked, _, decided_at = decision_state(decisions)
    has_match = set(final.loc[final["decision"] == "match", "record_id"])
    # a record a person linked is settled; one with some candidates ruled out is still asked
    # about the others (never about a ruled-out pair: final_links dropped those)
    review = final[
        (final["decision"] == "review")
        & ~final["record_id"].isin(has_match)
        & ~final["record_id"].isin(list(linked))
    ]
    best = review.groupby("record_id")["score"].max()
    existing = {
        rec: (item_id, status)
        for item_id, rec, status in conn.execute(
            sa.select(ri.c.id, ri.c.record_id, ri.c.status).where(ri.c.source == source)
        )
    }
    to_open = [
        {
            "source": source,
            "record_id": rec,
            "status": "open",
            "best_score": None if pd.isna(score) else float(score),
            "delivery_id": delivery_id,
            "opened_at": now,
            "decided_at": None,
        }
        for rec, score in best.items()
        if rec not in existing  # opened once: an existing item (open or decided) is never re-opened
    ]
    if to_open:
        conn.execute(sa.insert(ri), to_open)
    still_open = [
        {"item_id": existing[rec][0], "score": None if pd.isna(score) else float(score)}
        for rec, score in best.items()
        if rec in existing
    ]
    if still_open:
        # also re-opens a decided item whose decision was undone, or whose record got a new candidate
        conn.execute(
            sa.update(ri)
            .where(
                ri.c.id == sa.bindparam("item_id"),
                sa.or_(
                    ri.c.best_score.is_distinct_from(sa.bindparam("score")),
                    ri.c.status != "open",
                ),
            )
            .values(
                best_score=sa.bindparam("score"), delivery_id=delivery_id, status="open", decided_at=None
            ),
            still_open,
        )
    # open items a person has settled (of any record of the source): closed, not deleted
    close_decided_items(conn, source, decisions)
    # open items no longer needed (the record now has a match, or no review link at all)
    obsolete = [
        item_id
        for rec, (item_id, status) in existing.items()
        if status == "open" and rec in record_ids and rec not in best.index and rec not in decided_at
    ]
    for batch in chunks(obsolete):
        conn.execute(sa.delete(ri).where(ri.c.id.in_(batch)))
    return len(to_open), len(to_open) + len(still_open)


def close_decided_items(conn: sa.Connection, source: str, decisions: pd.DataFrame) -> None:
    """Close the open items a person settled: linked to a client, or every candidate ruled out.

    "not this person" while other candidates remain leaves the item open for them.
    """
    ri, ml = ReviewItem.__table__, MatchLink.__table__
    linked, _, decided_at = decision_state(decisions)
    open_items = [
        (i, r)
        for i, r in conn.execute(
            sa.select(ri.c.id, ri.c.record_id).where(ri.c.source == source, ri.c.status == "open")
        )
        if r in decided_at
    ]
    pending: set[str] = set()
    for batch in chunks(sorted({r for _, r in open_items} - set(linked))):
        pending.update(
            conn.execute(
                sa.select(ml.c.record_id).where(
                    ml.c.source == source, ml.c.record_id.in_(batch), ml.c.decision == "review"
                )
            ).scalars()
        )
    closed = [{"item_id": i, "at": decided_at[r]} for i, r in open_items if r not in pending]
    if closed:
        conn.execute(
            sa.update(ri)
            .where(ri.c.id == sa.bindparam("item_id"))
            .values(status="decided", decided_at=sa.bindparam("at")),
            closed,
        )

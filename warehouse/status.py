"""``safetynet status``: per source, the last delivery and where its records stand. No client data."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from warehouse.models import Delivery, MatchLink, ReviewItem


def _iso(value: object) -> str | None:
    return value.isoformat() if value is not None else None  # type: ignore[attr-defined]


def source_status(conn: sa.Connection, stuck_before: datetime | None = None) -> list[dict]:
    """One JSON-serialisable dict per source that ever delivered, sorted by source.

    ``deliveries_pending``: deliveries checked but not loaded yet (the next run loads them);
    ``deliveries_stuck``: those of them received before ``stuck_before`` (none counted without it).
    """
    d = Delivery.__table__
    last_id = sa.select(d.c.source, sa.func.max(d.c.id).label("id")).group_by(d.c.source).subquery()
    last = conn.execute(sa.select(d).join(last_id, d.c.id == last_id.c.id)).mappings().all()
    kinds = dict(
        conn.execute(
            sa.select(d.c.source, sa.func.max(d.c.kind)).where(d.c.kind.is_not(None)).group_by(d.c.source)
        ).all()
    )
    links = MatchLink.__table__
    matches = dict(
        conn.execute(
            sa.select(links.c.source, sa.func.count(sa.distinct(links.c.record_id)))
            .where(links.c.decision == "match")
            .group_by(links.c.source)
        ).all()
    )
    items = ReviewItem.__table__
    open_items = dict(
        conn.execute(
            sa.select(items.c.source, sa.func.count())
            .where(items.c.status == "open")
            .group_by(items.c.source)
        ).all()
    )
    pending = dict(
        conn.execute(
            sa.select(d.c.source, sa.func.count()).where(d.c.status == "pending").group_by(d.c.source)
        ).all()
    )
    stuck: dict[str, int] = {}
    if stuck_before is not None:
        stuck = dict(
            conn.execute(
                sa.select(d.c.source, sa.func.count())
                .where(d.c.status == "pending", d.c.received_at < stuck_before)
                .group_by(d.c.source)
            ).all()
        )
    out = []
    for row in sorted(last, key=lambda r: r["source"]):
        out.append(
            {
                "source": row["source"],
                "kind": row["kind"] or kinds.get(row["source"]),
                "last_delivery": {
                    "file_name": row["file_name"],
                    "delivered_on": _iso(row["delivered_on"]),
                    "received_at": _iso(row["received_at"]),
                    "status": row["status"],
                },
                "rows_read": int(row["rows_read"]),
                "rows_quarantined": int(row["rows_quarantined"]),
                "matches": int(matches.get(row["source"], 0)),
                "review_items_open": int(open_items.get(row["source"], 0)),
                "deliveries_pending": int(pending.get(row["source"], 0)),
                "deliveries_stuck": int(stuck.get(row["source"], 0)),
            }
        )
    return out

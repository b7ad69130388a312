"""The analyst's page: de-identified counts only (no names, no ids), small cells suppressed."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from review.app import engine, requires
from review.sources import agency_names
from warehouse.models import MatchLink, ReviewItem

bp = Blueprint("reports", __name__)
#: DESIGN.md privacy rule 3: counts 1-10 are hidden
SMALL_CELL = 10


def suppress(n: int) -> str:
    return "1-10" if 0 < n <= SMALL_CELL else f"{n:,}"


@bp.get("/reports")
@requires("analyst", "coordinator", "admin")
def summary():
    ml, ri = MatchLink.__table__, ReviewItem.__table__
    with engine().connect() as conn:
        matched = dict(
            conn.execute(
                sa.select(ml.c.source, sa.func.count(sa.distinct(ml.c.record_id)))
                .where(ml.c.decision == "match")
                .group_by(ml.c.source)
            ).all()
        )
        by_status = conn.execute(
            sa.select(ri.c.source, ri.c.status, sa.func.count()).group_by(ri.c.source, ri.c.status)
        ).all()
    items: dict[str, dict[str, int]] = {}
    for source, status, n in by_status:
        items.setdefault(source, {})[status] = n
    rows = [
        {
            "source": agency_names().get(s, s),
            "matched": suppress(matched.get(s, 0)),
            "open": suppress(items.get(s, {}).get("open", 0)),
            "decided": suppress(items.get(s, {}).get("decided", 0)),
        }
        for s in sorted(set(matched) | set(items))
    ]
    return render_template("reports.html", rows=rows, small=SMALL_CELL)

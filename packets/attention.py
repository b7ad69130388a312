"""What the table should know before trusting a profile: agency rows that may be hers still wait in
the review queue, and sources behind it that are overdue or whose latest file was quarantined."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from integrations.config import SourceConfig, load_sources
from sync.status import source_status
from warehouse import Warehouse
from warehouse.models import MatchLink, ReviewItem


def open_review_rows(engine: sa.Engine, client_ids: list[str]) -> dict[str, dict[str, int]]:
    """client -> source -> open review items naming her as a candidate (counts, no record ids)."""
    ml, ri = MatchLink.__table__, ReviewItem.__table__
    if not client_ids:
        return {}
    query = (
        sa.select(ml.c.client_id, ri.c.source, sa.func.count(sa.distinct(ri.c.record_id)))
        .join(ri, sa.and_(ri.c.source == ml.c.source, ri.c.record_id == ml.c.record_id))
        .where(ri.c.status == "open", ml.c.decision == "review", ml.c.client_id.in_(client_ids))
        .group_by(ml.c.client_id, ri.c.source)
    )
    out: dict[str, dict[str, int]] = {}
    with engine.connect() as conn:
        for cid, source, n in conn.execute(query):
            out.setdefault(cid, {})[source] = int(n)
    return out


@dataclass(frozen=True)
class StaleSource:
    source: str
    agency: str
    #: "overdue" and/or "quarantined" (``sync.status``'s words)
    reasons: tuple[str, ...]
    last_delivery: str | None
    cadence_days: int

    def sentence(self) -> str:
        parts = []
        if "quarantined" in self.reasons:
            parts.append(
                f"its latest file ({self.last_delivery}) failed its checks and was quarantined: "
                "what it says here is from the file before"
            )
        if "overdue" in self.reasons:
            last = f"last delivery {self.last_delivery}" if self.last_delivery else "nothing delivered yet"
            parts.append(f"overdue ({last}; expected every {self.cadence_days} days)")
        return f"{self.agency}: " + "; ".join(parts) + "."


def stale_sources(
    engine: sa.Engine, today: date, sources: Mapping[str, SourceConfig] | None = None
) -> dict[str, StaleSource]:
    """source -> why its data may be out of date on ``today`` (overdue, quarantined), as ``safetynet
    status`` says it; sources that are up to date are left out."""
    sources = dict(sources if sources is not None else load_sources())
    warehouse = Warehouse(engine.url.render_as_string(hide_password=False))
    try:
        status = source_status(sources, warehouse, today)
    finally:
        warehouse.dispose()
    out = {}
    for s in status["sources"]:
        reasons = tuple(r for r in s["attention"] if r in ("overdue", "quarantined"))
        if reasons:
            last = (s["last_delivery"] or {}).get("delivered_on")
            out[s["source"]] = StaleSource(s["source"], s["agency"], reasons, last, s["cadence_days"])
    return out

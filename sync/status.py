"""`safetynet status`: per source, what the warehouse last received and what came of it.

JSON keys (documented in the README): ``sources`` is a list, one entry per source in
config/sources.yaml, each with ``source``, ``kind``, ``agency``, ``cadence_days``, ``overdue``,
``last_delivery`` (``file_name``, ``delivered_on``, ``received_at``, ``status``) or null,
``rows_read``, ``rows_quarantined``, ``matches``, ``review_items_open``, ``deliveries_pending``
(checked, not loaded yet: the next run loads them), ``deliveries_stuck`` (pending for over an hour) and
``attention`` (why the source needs a person: ``overdue``, ``quarantined``, ``stuck``; empty if none).
``safetynet status`` exits 1 when any source needs attention.
"""

from __future__ import annotations

from datetime import date, timedelta

from integrations.config import SourceConfig
from warehouse import Warehouse
from warehouse.db import utcnow

COUNT_KEYS = (
    "rows_read",
    "rows_quarantined",
    "matches",
    "review_items_open",
    "deliveries_pending",
    "deliveries_stuck",
)
#: a delivery still pending this long after it was received is stuck: the runs since have not loaded
#: it (each run loads its source's pending deliveries first); a run takes minutes, a lock waits 5
STUCK_AFTER = timedelta(hours=1)


def source_status(sources: dict[str, SourceConfig], warehouse: Warehouse, today: date | None = None) -> dict:
    today = today or date.today()
    seen = {row["source"]: row for row in warehouse.status(stuck_before=utcnow() - STUCK_AFTER)}
    out = []
    for source in sources.values():
        row = seen.get(source.name, {})
        last = row.get("last_delivery")
        delivered = _as_date(last.get("delivered_on")) if last else None
        out.append(
            {
                "source": source.name,
                "kind": source.kind,
                "agency": source.agency,
                "cadence_days": source.cadence_days,
                "overdue": delivered is None or delivered + timedelta(days=source.cadence_days) < today,
                "last_delivery": last,
                **{k: int(row.get(k) or 0) for k in COUNT_KEYS},
            }
        )
        out[-1]["attention"] = _attention(out[-1])
    return {"as_of": today.isoformat(), "sources": out}


def _attention(entry: dict) -> list[str]:
    reasons = []
    if entry["overdue"]:
        reasons.append("overdue")
    if entry["last_delivery"] and entry["last_delivery"]["status"] == "quarantined":
        reasons.append("quarantined")
    if entry["deliveries_stuck"]:
        reasons.append("stuck")
    return reasons


def needs_attention(status: dict) -> list[str]:
    """One line per source that needs a person (``source: overdue, quarantined``); empty if none."""
    return [f"{s['source']}: {', '.join(s['attention'])}" for s in status["sources"] if s["attention"]]


def _as_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def render_table(status: dict) -> str:
    """The status as a fixed-width table for a terminal."""
    header = (
        "source",
        "kind",
        "last delivery",
        "status",
        "rows",
        "quarant.",
        "matches",
        "review",
        "pending",
        "attention",
    )
    rows = [header]
    for s in status["sources"]:
        last = s["last_delivery"] or {}
        rows.append(
            (
                s["source"],
                s["kind"],
                str(last.get("delivered_on") or "-"),
                str(last.get("status") or "-"),
                str(s["rows_read"]),
                str(s["rows_quarantined"]),
                str(s["matches"]),
                str(s["review_items_open"]),
                str(s["deliveries_pending"]),
                ", ".join(s["attention"]) or "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)

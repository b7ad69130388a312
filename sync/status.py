"""`safetynet status`: per source, what the warehouse last received and what came of it.

JSON keys (documented in the README): ``sources`` is a list, one entry per source in
config/sources.yaml, each with ``source``, ``kind``, ``agency``, ``cadence_days``, ``overdue``,
``last_delivery`` (``file_name``, ``delivered_on``, ``received_at``, ``status``) or null,
``rows_read``, ``rows_quarantined``, ``matches``, ``review_items_open``, ``deliveries_pending``
(checked, not loaded yet: the next run loads them), ``deliveries_stuck`` (pending for over an hour) and
``files`` (the delivery files held on disk, ``sync/landing.py``: ``landing`` waiting to be loaded,
``quarantined`` held until resolved, ``archived`` loaded and kept for the retention; each with
``files``, ``bytes`` and ``oldest_days``: null when there is none) and ``attention`` (why the
source needs a person: ``overdue``, ``quarantined``, ``stuck``, ``archive_not_expiring`` (an archived
file older than the retention: the lifecycle is not running); empty if none). The top level adds
``archive_retention_days``. ``safetynet status`` exits 1 when any source needs attention.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from integrations.config import SourceConfig
from sync.landing import LandingZone, holdings
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


def source_status(
    sources: dict[str, SourceConfig],
    warehouse: Warehouse,
    today: date | None = None,
    landing: LandingZone | Path | None = None,
) -> dict:
    today = today or date.today()
    seen = {row["source"]: row for row in warehouse.status(stuck_before=utcnow() - STUCK_AFTER)}
    held = holdings(sources, landing or LandingZone.configured())
    retention = held["archive_retention_days"]
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
                "files": held["sources"][source.name],
            }
        )
        out[-1]["attention"] = _attention(out[-1], retention)
    return {"as_of": today.isoformat(), "archive_retention_days": retention, "sources": out}


def _attention(entry: dict, retention_days: int) -> list[str]:
    reasons = []
    if entry["overdue"]:
        reasons.append("overdue")
    if entry["last_delivery"] and entry["last_delivery"]["status"] == "quarantined":
        reasons.append("quarantined")
    if entry["deliveries_stuck"]:
        reasons.append("stuck")
    oldest = entry["files"]["archived"]["oldest_days"]
    if oldest is not None and oldest > retention_days + 1:  # a day's grace: runs are nightly
        reasons.append("archive_not_expiring")
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
        "files",
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
                _files(s["files"]),
                ", ".join(s["attention"]) or "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    retention = status.get("archive_retention_days")
    if retention is not None:
        lines.append(
            f"files: landing L / quarantined and held Q / archived A, total size, oldest in days; "
            f"archived files are deleted after {retention} days"
        )
    return "\n".join(lines)


def _files(files: dict) -> str:
    """``L1 Q0 A3 2.1MB 12d``: files per place, their total size and the oldest one's age."""
    counts = " ".join(f"{k[0].upper()}{files[k]['files']}" for k in ("landing", "quarantined", "archived"))
    size = sum(files[k]["bytes"] for k in files)
    ages = [files[k]["oldest_days"] for k in files if files[k]["oldest_days"] is not None]
    age = f" {max(ages):.0f}d" if ages else ""
    return f"{counts} {_size(size)}{age}"


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024
    return f"{n}B"
